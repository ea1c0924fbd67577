package backup

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// TestBackupWhileHousekeeping: backups taken while the server's
// housekeeping packs loose objects and merges packs (deleting the old
// ones), and saves go on, are complete every time: housekeeping never
// removes an object, and the backup reads again from a fresh listing
// of the packs when one it was reading went away.
func TestBackupWhileHousekeeping(t *testing.T) {
	if testing.Short() {
		t.Skip("many commits and repacks")
	}
	data := t.TempDir()
	repo, err := storage.Init(filepath.Join(data, "content.git"), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	ctx := context.Background()
	rev := ""
	save := func(i int) {
		res, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Anna"}, Message: fmt.Sprintf("Bewerking %d", i),
			Changes: []wiki.Change{{Name: "Logboek", Base: rev, Content: []byte(fmt.Sprintf("# Logboek\n\nRegel %d\n", i))},
				{Name: wiki.Name(fmt.Sprintf("Map/Pagina %d", i)), Content: []byte("nieuw\n")}}})
		if err != nil {
			t.Error(err)
			return
		}
		rev = res.Revision
	}
	for i := range 50 {
		save(i)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 50; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			save(i)
			if i%5 == 0 {
				if _, err := repo.PackLooseObjects(ctx); err != nil {
					t.Error(err)
				}
			}
			if i%10 == 0 {
				if _, err := repo.ConsolidatePacks(ctx); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	for round := range 8 {
		snap, _ := repo.Snapshot(ctx)
		var archive bytes.Buffer
		man, err := Write(ctx, &archive, Options{DataDir: data, TempDir: t.TempDir()})
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("round %d: %v", round, err)
		}
		target := filepath.Join(t.TempDir(), "r")
		if _, err := Restore(ctx, bytes.NewReader(archive.Bytes()), target); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("round %d: restore: %v", round, err)
		}
		restored := filepath.Join(target, "content.git")
		gitCmd(t, restored, "fsck", "--strict", "--no-dangling")
		// The head before the backup started is in it.
		gitCmd(t, restored, "merge-base", "--is-ancestor", snap.Head, "main")
		if man.Refs[0].Hash == "" {
			t.Fatal("no head")
		}
	}
	close(stop)
	wg.Wait()
}
