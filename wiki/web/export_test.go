package web

// KnownMessage reports whether key has a translation; tests use it to check
// the templates.
func KnownMessage(key string) bool {
	_, ok := lookupMessage(key)
	return ok
}
