package accounts

import (
	"context"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func TestPHCRoundTrip(t *testing.T) {
	a := Argon2{Time: 3, MemoryKiB: 256, Threads: 2}
	h, err := hashPassword("geheim wachtwoord", a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=256,t=3,p=2$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not PHC argon2id", h)
	}
	p, err := parsePHC(h)
	if err != nil {
		t.Fatal(err)
	}
	if p.params != a || len(p.salt) != saltLen || len(p.hash) != keyLen {
		t.Fatalf("parsed %+v", p)
	}
	if !p.verify("geheim wachtwoord") || p.verify("geheim wachtwoorD") {
		t.Fatal("verify")
	}
	h2, _ := hashPassword("geheim wachtwoord", a)
	if h2 == h {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=256,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=16$m=256,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999999,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=0,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=3,p=300$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=3,p=2$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=256,t=3,p=2$c2FsdHNhbHQ$aGFzaA",
	} {
		if _, err := parsePHC(bad); err == nil {
			t.Errorf("parsePHC(%q) accepted", bad)
		}
	}
}

// TestRehashOnSignIn: after the cost is raised, a sign-in stores the
// password again with the new parameters, and the old hash kept working.
func TestRehashOnSignIn(t *testing.T) {
	ctx := context.Background()
	path := PathIn(t.TempDir())
	old := Argon2{Time: 1, MemoryKiB: 64, Threads: 1}
	s, err := OpenWith(path, Options{Hash: old})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, wiki.User{Name: "anna"}, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	stronger := Argon2{Time: 2, MemoryKiB: 128, Threads: 1}
	s, err = OpenWith(path, Options{Hash: stronger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(ctx, "anna", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	var stored string
	s.db.View(func(tx *bolt.Tx) error {
		r, err := getUser(tx, "anna")
		stored = r.Password
		return err
	})
	if p, err := parsePHC(stored); err != nil || p.params != stronger {
		t.Fatalf("after sign-in the hash is %q", stored)
	}
	if _, err := s.Authenticate(ctx, "anna", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
}

func TestSecretsAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	s, err := OpenWith(PathIn(t.TempDir()), Options{Hash: Argon2{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Create(ctx, wiki.User{Name: "anna"}, "correct horse battery")
	session, _ := s.NewSession(ctx, "anna", time.Hour)
	token, _, _ := s.NewToken(ctx, "anna", "git")
	s.db.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketSessions, bucketTokens, bucketUsers} {
			tx.Bucket(b).ForEach(func(k, v []byte) error {
				for _, secret := range []string{session, token, strings.TrimPrefix(token, TokenPrefix), "correct horse"} {
					if strings.Contains(string(k)+string(v), secret) {
						t.Errorf("bucket %s holds a secret in clear", b)
					}
				}
				return nil
			})
		}
		return nil
	})
}

func TestExpiredSessionsArePurged(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := OpenWith(PathIn(t.TempDir()), Options{Hash: Argon2{Time: 1, MemoryKiB: 64, Threads: 1}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Create(ctx, wiki.User{Name: "anna"}, "correct horse battery")
	for range 5 {
		if _, err := s.NewSession(ctx, "anna", time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Hour) // all five expired, and a sweep is due
	if _, err := s.NewSession(ctx, "anna", time.Hour); err != nil {
		t.Fatal(err)
	}
	n := 0
	s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucketSessions).Stats().KeyN; return nil })
	if n != 1 {
		t.Fatalf("%d sessions stored, want only the live one", n)
	}
}

func TestLoginNameFrom(t *testing.T) {
	for in, want := range map[string]string{
		"anna":                         "anna",
		"Anna.de.Vries":                "anna.de.vries",
		"anna@gemeente.nl":             "anna",
		"Jöran van 't Hof":             "joran-van-t-hof",
		"--x--":                        "x",
		"...":                          "",
		"李":                            "",
		"a b\tc\nd":                    "a-b-c-d",
		"ＡＢＣ":                          "abc",
		strings.Repeat("a", 80) + "-b": strings.Repeat("a", 64),
	} {
		got := loginNameFrom(in)
		if got != want {
			t.Errorf("loginNameFrom(%q) = %q, want %q", in, got, want)
		}
		if got != "" {
			if _, err := normalizeName(got); err != nil {
				t.Errorf("loginNameFrom(%q) = %q, not a valid name: %v", in, got, err)
			}
		}
	}
}
