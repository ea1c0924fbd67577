package web

import "testing"

// TestMessageTablesDisjoint: a key is defined once, so that which text
// shows never depends on the order of the tables.
func TestMessageTablesDisjoint(t *testing.T) {
	seen := map[string]int{}
	for i, table := range messageTables() {
		for key, m := range table {
			if j, ok := seen[key]; ok {
				t.Errorf("%q is in tables %d and %d", key, j, i)
			}
			seen[key] = i
			if m[0] == "" || m[1] == "" {
				t.Errorf("%q lacks its Dutch or English text", key)
			}
		}
	}
}
