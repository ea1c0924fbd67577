package web

// UserManager is what account management on the web needs of the user
// database: listing and changing accounts, one-time links for
// invitations and password resets, and the user's own sessions.
type UserManager interface {
}
