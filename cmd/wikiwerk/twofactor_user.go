package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// This file holds "wikiwerk user 2fa-reset NAME": the way back in for an
// admin who lost both the phone and the recovery codes, when no other
// admin can reset it on the web (POST /-/api/users/{user}/2fa/reset).

// callTwoFactorReset is the control call of 2fa-reset.
const callTwoFactorReset = "/v1/users/2fa-reset"

// twoFactorUserMessages are the command's texts for 2fa-reset: {Dutch,
// English}.
var twoFactorUserMessages = map[string][2]string{
	"2fa-reset": {"Inloggen in twee stappen van %s uitgezet; ze loggen in met alleen hun wachtwoord (en stellen het opnieuw in waar -require-2fa dat vraagt)",
		"Switched two-step sign-in of %s off; they sign in with their password alone (and set it up again where -require-2fa asks for it)"},
	"2fa-none":  {"%s heeft geen inloggen in twee stappen", "%s has no two-step sign-in"},
	"2fa-usage": {"  wikiwerk user 2fa-reset [-data MAP] NAAM   (zet inloggen in twee stappen uit)", "  wikiwerk user 2fa-reset [-data DIR] USER   (switches two-step sign-in off)"},
}

func (c *userCommand) twoFactorMsg(key string, args ...any) string {
	return fmt.Sprintf(twoFactorUserMessages[key][cliLang(c.getenv)], args...)
}

// resetTwoFactor removes a user's second factor.
func (c *userCommand) resetTwoFactor(ctx context.Context, args []string) error {
	fs, data := c.flags("2fa-reset")
	pos, err := c.parse(fs, args, "USER")
	if err != nil {
		return err
	}
	s, remote, done, err := c.connect(ctx, *data, false)
	if err != nil {
		return err
	}
	defer done()
	if err := s.RemoveSecondFactor(ctx, cliActor, pos[0], "2fa-reset"); err != nil {
		if errors.Is(err, wiki.ErrNotFound) && isNoSecondFactor(ctx, s, pos[0]) {
			return errors.New(c.twoFactorMsg("2fa-none", pos[0]))
		}
		return c.failed(pos[0], err)
	}
	line := c.twoFactorMsg("2fa-reset", pos[0])
	if remote {
		line += " " + c.msg("via-server")
	}
	fmt.Fprintln(c.stdout, line)
	return nil
}

// isNoSecondFactor tells "the user has no second factor" from "there is
// no such user": both are wiki.ErrNotFound from the store.
func isNoSecondFactor(ctx context.Context, s userOps, name string) bool {
	users, err := s.List(ctx)
	if err != nil {
		return false
	}
	for _, u := range users {
		if strings.EqualFold(u.Name, name) {
			return true
		}
	}
	return false
}

// RemoveSecondFactor removes a second factor on the server.
func (c *controlClient) RemoveSecondFactor(ctx context.Context, _ wiki.Actor, name, kind string) error {
	_, err := c.call(ctx, callTwoFactorReset, controlRequest{User: wiki.User{Name: name}})
	return err
}
