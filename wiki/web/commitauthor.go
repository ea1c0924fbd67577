package web

import (
	"context"
	"net/http"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// The wiki's choice of commit addresses (Config.CommitAddresses) travels
// in the request's context, so that author (auth.go), which every write
// handler calls, applies it without knowing the Server.

// commitAddressesKey carries the server's CommitAddresses in a request's
// context, for author.
type commitAddressesKey struct{}

func withCommitAddresses(r *http.Request, c wiki.CommitAddresses) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), commitAddressesKey{}, c))
}

// commitAuthor is u as the author of a commit made by request r: with
// the account's address or its pseudonym, as the wiki is set up.
func commitAuthor(r *http.Request, u *wiki.User) wiki.Author {
	c, _ := r.Context().Value(commitAddressesKey{}).(wiki.CommitAddresses)
	return c.Author(u)
}
