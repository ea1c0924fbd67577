package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wikiwerk/wikiwerk/mail"
)

// openMail starts the mail queue in DATA/mail when an SMTP server is
// given (-smtp-addr). Without one it returns nil and the wiki runs
// without mail: invitation and reset links are then shown to the admin
// to pass on.
func (m *Main) openMail(ctx context.Context) (*mail.Queue, error) {
	cfg, err := mail.ConfigFromFlags(m.Mail, os.Getenv)
	if errors.Is(err, mail.ErrNotConfigured) {
		m.log.Info("mail is not set up (no -smtp-addr): invitations and password resets show their link instead")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mail settings: %w", err)
	}
	q, err := mail.Open(ctx, filepath.Join(m.DataDir, "mail"), cfg, mail.Options{Logger: m.log})
	if err != nil {
		return nil, fmt.Errorf("mail queue: %w", err)
	}
	m.log.Info("mail is set up", "smtp", cfg.Addr, "tls", string(cfg.TLS), "pending", q.Len())
	return q, nil
}
