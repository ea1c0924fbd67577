//go:build race

package storage

// raceEnabled says the race detector is on: it multiplies what memory
// costs, so memory bounds scale with it.
const raceEnabled = true
