package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// buildWikiwerk builds ./cmd/wikiwerk into dir, from the working tree of
// the module that holds the current directory or, when rev is set, from
// that revision of it. It returns the binary and a line saying what it
// was built from.
func buildWikiwerk(ctx context.Context, dir, rev string) (bin, desc string, err error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", "", fmt.Errorf("not inside the wikiwerk module (go env GOMOD: %q, %v); run from the repository or pass -bin", gomod, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	src := filepath.Dir(gomod)
	args := []string{"build", "-o", filepath.Join(dir, "wikiwerk")}
	if rev != "" {
		id, err := runGit(ctx, src, "rev-parse", "--verify", rev+"^{commit}")
		if err != nil {
			return "", "", fmt.Errorf("-rev: %w", err)
		}
		commit := strings.TrimSpace(string(id))
		export := filepath.Join(dir, "src")
		if err := exportTree(ctx, src, commit, export); err != nil {
			return "", "", err
		}
		src, desc = export, fmt.Sprintf("built from commit %.12s (-rev %s)", commit, rev)
		// The export has no .git to stamp a revision from.
		args = append(args, "-buildvcs=false")
	}
	if rev == "" {
		// The binary may carry no revision (GOFLAGS=-buildvcs=false), so
		// name the commit the working tree is on.
		desc = "built from the working tree, uncommitted changes included"
		if id, err := runGit(ctx, src, "rev-parse", "HEAD"); err == nil {
			desc = fmt.Sprintf("built from the working tree at commit %.12s, uncommitted changes included", id)
		}
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/wikiwerk")...)
	cmd.Dir = src
	// go build asks git for the revision to stamp into the binary; without
	// optional locks git leaves the repository's index alone, which others
	// may be committing to while the benchmark runs.
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/wikiwerk in %s: %w\n%s(pass -rev HEAD to build the last commit, or -bin)", src, err, out)
	}
	return filepath.Join(dir, "wikiwerk"), desc, nil
}

// exportTree writes the files of commit in repo to dst with git archive,
// which only reads the repository: a benchmark of a committed revision
// leaves the working tree and index of whoever works there untouched.
func exportTree(ctx context.Context, repo, commit, dst string) error {
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "archive", "--format=tar", commit)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	extractErr := untar(stdout, dst)
	io.Copy(io.Discard, stdout) //nolint:errcheck // let git finish after an error
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", commit, err, stderr.String())
	}
	if extractErr != nil {
		return fmt.Errorf("extract git archive %s: %w", commit, extractErr)
	}
	return nil
}

// untar extracts the directories, regular files and symbolic links of a
// tar stream below dst.
func untar(r io.Reader, dst string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !filepath.IsLocal(h.Name) {
			return fmt.Errorf("unsafe path %q in archive", h.Name)
		}
		path := filepath.Join(dst, h.Name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(path, 0o750)
		case tar.TypeReg:
			err = writeFile(path, tr, h.FileInfo().Mode().Perm())
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(path), 0o750); err == nil {
				err = os.Symlink(h.Linkname, path)
			}
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(path string, r io.Reader, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}
