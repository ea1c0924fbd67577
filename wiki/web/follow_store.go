package web

// FollowStore keeps what people follow (pages and folders) and which
// revision of a page each person last saw.
type FollowStore interface {
}
