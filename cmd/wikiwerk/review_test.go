package main

import (
	"io"
	"reflect"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestReviewFlag: -review is read like -protect; a bad folder refuses to
// start.
func TestReviewFlag(t *testing.T) {
	m := NewMain(io.Discard)
	env := map[string]string{"WIKIWERK_REVIEW": "Beleid=beleidsteam+juristen, Raad"}
	if err := m.ParseFlags(nil, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	want := []wiki.Protected{{Prefix: "Beleid", Groups: []string{"beleidsteam", "juristen"}}, {Prefix: "Raad"}}
	if !reflect.DeepEqual(m.policy.Review, want) {
		t.Fatalf("review folders %+v", m.policy.Review)
	}
	if !m.policy.NeedsReview(&wiki.User{Name: "anna", Role: wiki.RoleEditor}, "raad/Besluit") || m.policy.NeedsReview(&wiki.User{Name: "carla", Role: wiki.RoleAdmin}, "Raad/Besluit") {
		t.Fatal("the rules do not apply as parsed")
	}
	m = NewMain(io.Discard)
	if err := m.ParseFlags([]string{"-review", "../x"}, func(string) string { return "" }); err == nil {
		t.Fatal("-review ../x was accepted")
	}
}
