package notify

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/wikiwerk/wikiwerk/mail"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// messages holds the text of notification mail: index 0 Dutch, 1 English.
var messages = map[string][2]string{
	"subject-modified": {"%s gewijzigd door %s", "%s changed by %s"},
	"subject-added":    {"%s aangemaakt door %s", "%s created by %s"},
	"subject-deleted":  {"%s verwijderd door %s", "%s deleted by %s"},
	"subject-renamed":  {"%s hernoemd naar %s door %s", "%s renamed to %s by %s"},
	"subject-mention":  {"%s noemde je op %s", "%s mentioned you on %s"},
	"subject-digest":   {"Dagoverzicht: %d wijzigingen in pagina's die je volgt", "Daily digest: %d changes to pages you follow"},
	"subject-digest-1": {"Dagoverzicht: 1 wijziging in een pagina die je volgt", "Daily digest: 1 change to a page you follow"},
	"did-modified":     {"%s heeft de pagina %s gewijzigd op %s.", "%s changed the page %s on %s."},
	"did-added":        {"%s heeft de pagina %s aangemaakt op %s.", "%s created the page %s on %s."},
	"did-deleted":      {"%s heeft de pagina %s verwijderd op %s.", "%s deleted the page %s on %s."},
	"did-renamed":      {"%s heeft de pagina %s hernoemd naar %s op %s.", "%s renamed the page %s to %s on %s."},
	"did-mention":      {"%s noemde je (@%s) op de pagina %s, op %s.", "%s mentioned you (@%s) on the page %s, on %s."},
	"summary":          {"Samenvatting", "Summary"},
	"changes":          {"Gewijzigde regels", "Changed lines"},
	"cut":              {"(Ingekort: de link hieronder toont het hele verschil.)", "(Shortened: the link below shows the whole difference.)"},
	"no-diff":          {"(Geen tekstverschil om te tonen.)", "(No text difference to show.)"},
	"see-diff":         {"Bekijk het verschil", "See the difference"},
	"see-history":      {"Bekijk de geschiedenis", "See the history"},
	"why-follow":       {"Je krijgt deze mail omdat je %s volgt.", "You get this mail because you follow %s."},
	"why-mention":      {"Je krijgt deze mail omdat iemand je noemde.", "You get this mail because someone mentioned you."},
	"why-digest":       {"Je krijgt dit overzicht omdat je pagina's volgt met een dagelijks overzicht.", "You get this digest because you follow pages with a daily digest."},
	"stop-follow":      {"Niet meer volgen", "Stop following"},
	"stop-mention":     {"Geen mail meer over vermeldingen", "No more mail about mentions"},
	"stop-digest":      {"Stop alle dagoverzichten", "Stop all daily digests"},
	"watchlist":        {"Wat je volgt", "What you follow"},
	"digest-intro":     {"Wijzigingen sinds het vorige overzicht (tot %s):", "Changes since the previous digest (until %s):"},
	"by":               {"door %s, %s", "by %s, %s"},
	"folder":           {"de map %s", "the folder %s"},
	"page":             {"de pagina %s", "the page %s"},
}

func langIndex(lang string) int {
	if lang == "en" {
		return 1
	}
	return 0
}

// t translates a message key into lang.
func t(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		m = reviewMessages[key]
	}
	s := m[langIndex(lang)]
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

func (n *Notifier) langOf(u *wiki.User) string {
	if u.Lang == "nl" || u.Lang == "en" {
		return u.Lang
	}
	return n.opt.Lang
}

// date formats a time for people, in lang.
func (n *Notifier) date(lang string, tm time.Time) string {
	months := [2][12]string{
		{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
	}
	l := tm.In(n.opt.Location)
	return fmt.Sprintf("%d %s %d %02d:%02d", l.Day(), months[langIndex(lang)][l.Month()-1], l.Year(), l.Hour(), l.Minute())
}

func (n *Notifier) link(path string, q url.Values) string {
	s := n.opt.BaseURL + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// changeLink is the difference a change made, or the page's history when
// it deleted the page (there is no page to compare with).
func (n *Notifier) changeLink(ch change) string {
	if ch.Kind == "commented" {
		return n.commentLink(ch)
	}
	if ch.Kind == "deleted" || ch.Kind == "renamed" {
		// The history follows the page through its rename.
		return n.link("/-/history/"+ch.Page.EscapedPath(), nil)
	}
	return n.link("/-/diff/"+ch.Page.EscapedPath(), url.Values{"from": {ch.From}, "to": {ch.To}})
}

func (n *Notifier) unsubscribeLink(u *wiki.User, topic Topic) (string, error) {
	tok, err := mail.SignUnsubscribe(n.opt.Key, mail.Unsubscribe{Recipient: u.Email, Topic: topic.String(),
		Expires: n.opt.Clock.Now().Add(n.opt.LinkTTL)})
	if err != nil {
		return "", err
	}
	return n.link("/-/unsubscribe", url.Values{"t": {tok}}), nil
}

func targetText(lang, target string) string {
	if strings.HasSuffix(target, "/") {
		return t(lang, "folder", target)
	}
	return t(lang, "page", target)
}

// changeText is the subject and the first sentence of a mail about ch.
func changeText(lang string, ch change, when string) (subject, did string) {
	if ch.Kind == "renamed" {
		return t(lang, "subject-renamed", ch.OldPage, ch.Page, ch.Author), t(lang, "did-renamed", ch.Author, ch.OldPage, ch.Page, when)
	}
	return t(lang, "subject-"+ch.Kind, ch.Page, ch.Author), t(lang, "did-"+ch.Kind, ch.Author, ch.Page, when)
}

// mailChange is what the HTML templates get for one change.
type mailChange struct {
	Did, Summary, Diff, DiffLink, Cut, NoDiff, LinkText string
	// Label, when set, heads the lines instead of "Changed lines" (a
	// comment's text, say).
	Label string
	Lines []diffLine
}

type diffLine struct {
	Text, Class string
}

func (n *Notifier) mailChange(lang string, ch change, did string) mailChange {
	mc := mailChange{Did: did, Summary: ch.Summary, Diff: ch.Diff, DiffLink: n.changeLink(ch), LinkText: t(lang, "see-diff")}
	if ch.Kind == "deleted" || ch.Kind == "renamed" {
		mc.LinkText = t(lang, "see-history")
	}
	if ch.Kind == "commented" {
		// A comment, not a diff: its text, without colours.
		return commentChange(lang, ch, mc)
	}
	if ch.Cut {
		mc.Cut = t(lang, "cut")
	}
	if ch.Diff == "" && !ch.Cut {
		mc.NoDiff = t(lang, "no-diff")
	}
	for _, l := range strings.Split(strings.TrimSuffix(ch.Diff, "\n"), "\n") {
		if l == "" && ch.Diff == "" {
			continue
		}
		c := ""
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "@@"):
			c = "hunk"
		case strings.HasPrefix(l, "+"):
			c = "add"
		case strings.HasPrefix(l, "-"):
			c = "del"
		}
		mc.Lines = append(mc.Lines, diffLine{Text: l, Class: c})
	}
	return mc
}

func (mc mailChange) text(lang string) string {
	var b strings.Builder
	b.WriteString(mc.Did + "\n")
	if mc.Summary != "" {
		b.WriteString(t(lang, "summary") + ": " + mc.Summary + "\n")
	}
	b.WriteString("\n")
	if mc.NoDiff != "" {
		b.WriteString(mc.NoDiff + "\n")
	} else {
		label := t(lang, "changes")
		if mc.Label != "" {
			label = mc.Label
		}
		b.WriteString(label + ":\n\n" + mc.Diff)
		if mc.Cut != "" {
			b.WriteString(mc.Cut + "\n")
		}
	}
	b.WriteString("\n" + mc.LinkText + ": " + mc.DiffLink + "\n")
	return b.String()
}

// The HTML part: inline styles only, as mail clients ignore style sheets
// (this is mail, not a page of the wiki and its CSP).
var htmlMail = template.Must(template.New("mail").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif; line-height: 1.4; color: #1a1a1a">
{{with .Intro}}<p>{{.}}</p>{{end}}
{{range .Changes}}<div style="margin: 0 0 1.5em">
<p>{{.Did}}{{with .Summary}}<br><strong>{{$.SummaryLabel}}:</strong> {{.}}{{end}}</p>
{{if .NoDiff}}<p>{{.NoDiff}}</p>{{else if or .Lines .Cut}}{{with .Label}}<p><strong>{{.}}:</strong></p>{{end}}<pre style="font-family: monospace; font-size: 90%; background: #f6f6f6; padding: .5em; overflow-x: auto; white-space: pre-wrap">{{range .Lines}}{{if eq .Class "add"}}<span style="color: #0a5c1a">{{.Text}}</span>{{else if eq .Class "del"}}<span style="color: #a0001e">{{.Text}}</span>{{else if eq .Class "hunk"}}<span style="color: #555">{{.Text}}</span>{{else}}{{.Text}}{{end}}
{{end}}</pre>{{with .Cut}}<p>{{.}}</p>{{end}}{{end}}
<p><a href="{{.DiffLink}}">{{.LinkText}}</a>{{with .Stop}} · <a href="{{.Link}}">{{.Text}}</a>{{end}}</p>
</div>{{end}}
<hr>
<p style="font-size: 90%; color: #555">{{.Why}} <a href="{{.Unsubscribe}}">{{.StopText}}</a> · <a href="{{.Watchlist}}">{{.WatchlistText}}</a></p>
</body></html>
`))

type htmlChange struct {
	mailChange
	Stop *stopLink
}

type stopLink struct{ Link, Text string }

type htmlData struct {
	Lang, Subject, Intro, SummaryLabel string
	Changes                            []htmlChange
	Why, Unsubscribe, StopText         string
	Watchlist, WatchlistText           string
}

func renderHTML(d htmlData) (string, error) {
	var b bytes.Buffer
	if err := htmlMail.Execute(&b, d); err != nil {
		return "", fmt.Errorf("notify: mail html: %w", err)
	}
	return b.String(), nil
}

// changeMail is the mail about one change to one person: as a follower
// (f) or as someone the change mentions.
func (n *Notifier) changeMail(u *wiki.User, ch change, f *wiki.Follow, mentioned bool) (mail.Message, error) {
	lang := n.langOf(u)
	when := n.date(lang, ch.Time)
	var subject, did, why, stop string
	var topic Topic
	if mentioned {
		subject = t(lang, "subject-mention", ch.Author, ch.Page)
		did = t(lang, "did-mention", ch.Author, u.Name, ch.Page, when)
		if ch.Kind == "commented" {
			did = t(lang, "did-mention-comment", ch.Author, u.Name, ch.Page, when)
		}
		why, stop = t(lang, "why-mention"), t(lang, "stop-mention")
		topic = Topic{Kind: TopicMention, User: u.Name}
	} else {
		subject, did = changeText(lang, ch, when)
		why, stop = t(lang, "why-follow", targetText(lang, f.Target)), t(lang, "stop-follow")
		topic = Topic{Kind: TopicFollow, User: u.Name, Target: f.Target}
	}
	unsub, err := n.unsubscribeLink(u, topic)
	if err != nil {
		return mail.Message{}, err
	}
	watchlist := n.link("/-/watchlist", nil)
	mc := n.mailChange(lang, ch, did)
	text := mc.text(lang) + "\n-- \n" + why + "\n" + stop + ": " + unsub + "\n" + t(lang, "watchlist") + ": " + watchlist + "\n"
	html, err := renderHTML(htmlData{Lang: lang, Subject: subject, SummaryLabel: t(lang, "summary"),
		Changes: []htmlChange{{mailChange: mc}}, Why: why, Unsubscribe: unsub, StopText: stop,
		Watchlist: watchlist, WatchlistText: t(lang, "watchlist")})
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: mail.Address{Name: u.DisplayName, Email: u.Email}, Subject: subject,
		Text: text, HTML: html, Lang: lang, Headers: mail.UnsubscribeHeaders(unsub)}, nil
}

// digestMail is one person's daily digest: every change waiting for
// them, oldest first, each with a link to stop following what brought
// it in.
func (n *Notifier) digestMail(u *wiki.User, es []entry, due time.Time) (mail.Message, error) {
	lang := n.langOf(u)
	subject := t(lang, "subject-digest", len(es))
	if len(es) == 1 {
		subject = t(lang, "subject-digest-1")
	}
	unsub, err := n.unsubscribeLink(u, Topic{Kind: TopicDigest, User: u.Name})
	if err != nil {
		return mail.Message{}, err
	}
	intro := t(lang, "digest-intro", n.date(lang, due))
	var text strings.Builder
	text.WriteString(intro + "\n\n")
	var changes []htmlChange
	stops := map[string]string{}
	for _, e := range es {
		_, did := changeText(lang, e.Change, n.date(lang, e.Change.Time))
		mc := n.mailChange(lang, e.Change, did)
		stop, ok := stops[e.Target]
		if !ok {
			if stop, err = n.unsubscribeLink(u, Topic{Kind: TopicFollow, User: u.Name, Target: e.Target}); err != nil {
				return mail.Message{}, err
			}
			stops[e.Target] = stop
		}
		stopText := t(lang, "stop-follow") + " (" + e.Target + ")"
		text.WriteString("* " + mc.text(lang) + stopText + ": " + stop + "\n\n")
		changes = append(changes, htmlChange{mailChange: mc, Stop: &stopLink{Link: stop, Text: stopText}})
	}
	why := t(lang, "why-digest")
	watchlist := n.link("/-/watchlist", nil)
	text.WriteString("-- \n" + why + "\n" + t(lang, "stop-digest") + ": " + unsub + "\n" + t(lang, "watchlist") + ": " + watchlist + "\n")
	html, err := renderHTML(htmlData{Lang: lang, Subject: subject, Intro: intro, SummaryLabel: t(lang, "summary"),
		Changes: changes, Why: why, Unsubscribe: unsub, StopText: t(lang, "stop-digest"),
		Watchlist: watchlist, WatchlistText: t(lang, "watchlist")})
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{To: mail.Address{Name: u.DisplayName, Email: u.Email}, Subject: subject,
		Text: text.String(), HTML: html, Lang: lang, Headers: mail.UnsubscribeHeaders(unsub)}, nil
}
