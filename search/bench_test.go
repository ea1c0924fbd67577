package search_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wikiwerk/wikiwerk/search"
	"github.com/wikiwerk/wikiwerk/storage"
	"github.com/wikiwerk/wikiwerk/wiki"
)

// BenchmarkSearch builds a repository of 10,000 pages of Dutch (and some
// English) prose, indexes it, and prints the latency of a set of queries
// beside `git grep -i` answering the same ones in a checkout of the same
// content, the time to build the index, its size, the latency of Suggest,
// and the time from a commit to the page being findable.
//
//	go test -run '^$' -bench Search -benchtime 1x ./search
//
// With -short it uses 1,000 pages.
func BenchmarkSearch(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git not installed")
	}
	pages := 10000
	if testing.Short() {
		pages = 1000
	}
	ctx := context.Background()
	root := b.TempDir()
	repoDir := filepath.Join(root, "content.git")
	start := time.Now()
	generate(b, repoDir, pages)
	fmt.Printf("generated %d pages in %v\n", pages, time.Since(start).Round(time.Millisecond))

	repo, err := storage.Open(repoDir, storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer repo.Close()

	indexDir := filepath.Join(root, "search")
	start, cpu := time.Now(), cpuTime()
	ix, err := search.Open(indexDir, search.Options{Source: repo})
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	sub, err := repo.Subscribe(ctx, ix)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	if err := sub.Err(); err != nil {
		b.Fatal(err)
	}
	build, buildCPU := time.Since(start), cpuTime()-cpu
	n, _ := ix.DocCount()
	fmt.Printf("indexed %d pages in %v (%.0f pages/s), %v of CPU; index on disk: %.1f MiB; repository: %.1f MiB\n",
		n, build.Round(time.Millisecond), float64(n)/build.Seconds(), buildCPU.Round(time.Millisecond), mib(dirSize(indexDir)), mib(dirSize(repoDir)))
	// Opening the index again (the start of a wiki whose index is up
	// to date) reads every page's title into memory.
	sub.Close()
	ix.Close()
	start = time.Now()
	if ix, err = search.Open(indexDir, search.Options{Source: repo}); err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	fmt.Printf("reopened the index in %v\n", time.Since(start).Round(time.Millisecond))
	if sub, err = repo.Subscribe(ctx, ix); err != nil {
		b.Fatal(err)
	}
	defer sub.Close()

	work := filepath.Join(root, "work")
	gitCmd(b, "", "clone", "-q", repoDir, work)

	queries := []struct {
		text string
		// grep is what git grep -i is asked: its patterns, all of which
		// a file must match (git cannot stem, fold or forgive typos;
		// its hits are only a sanity check).
		grep []string
	}{
		{"aanvraag", []string{"aanvraag"}},
		{"beschikkingen", []string{"beschikkingen"}},
		{"keukentafelgesprek", []string{"keukentafelgesprek"}},
		{"financiele", []string{"financiele"}},
		{"financiële bijdrage", []string{"financiële", "bijdrage"}},
		{`"eigen kracht"`, []string{"eigen kracht"}},
		{`"binnen zes weken"`, []string{"binnen zes weken"}},
		{"keuken*", []string{"keuken"}},
		{"zorg*", []string{"zorg"}},
		{"keukentafelgesprk", []string{"keukentafelgesprk"}},
		{"maatwerkvoorzeining", []string{"maatwerkvoorzeining"}},
		{"wmo loket", []string{"wmo", "loket"}},
		{"aanvraag beschikking termijn", []string{"aanvraag", "beschikking", "termijn"}},
		{"bezwaar -beschikking", []string{"bezwaar"}},
		{"jeugdhulp budget", []string{"jeugdhulp", "budget"}},
		{"applications", []string{"applications"}},
		{"woningaanpassing", []string{"woningaanpassing"}},
		{"vervoersvoorziening", []string{"vervoersvoorziening"}},
		{"schuldhulpverlening", []string{"schuldhulpverlening"}},
		{"privacyverklaring", []string{"privacyverklaring"}},
		{"zwaluwstraat", []string{"zwaluwstraat"}},
		{"wijkteam overleg", []string{"wijkteam", "overleg"}},
		{"indicatie*", []string{"indicatie"}},
		{"mantelzorgers respijtzorg", []string{"mantelzorgers", "respijtzorg"}},
	}
	// A reader who may not see one folder in ten.
	canRead := func(n wiki.Name) bool { return !strings.HasPrefix(string(n), "Afdeling 07/") }

	const runs = 15
	fmt.Printf("\n%-30s %7s %9s %9s %9s %9s %7s %9s %7s\n", "query", "hits", "p50", "p95", "p50 perm", "p95 perm", "grep", "git grep", "x")
	var all, allPerm, allGrep []time.Duration
	for _, q := range queries {
		var lat, latPerm []time.Duration
		var total int
		for range runs + 2 {
			t := time.Now()
			res, err := ix.Search(ctx, search.Query{Text: q.text})
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			total = res.Total
			t = time.Now()
			if _, err := ix.Search(ctx, search.Query{Text: q.text, CanRead: canRead}); err != nil {
				b.Fatal(err)
			}
			latPerm = append(latPerm, time.Since(t))
		}
		lat, latPerm = lat[2:], latPerm[2:] // warm-up
		var grepLat []time.Duration
		var grepHits int
		for range 5 {
			t := time.Now()
			grepHits = gitGrep(b, work, q.grep)
			grepLat = append(grepLat, time.Since(t))
		}
		all, allPerm, allGrep = append(all, lat...), append(allPerm, latPerm...), append(allGrep, grepLat...)
		g := pct(grepLat, 50)
		fmt.Printf("%-30s %7d %9s %9s %9s %9s %7d %9s %6.0fx\n", q.text, total, ms(pct(lat, 50)), ms(pct(lat, 95)),
			ms(pct(latPerm, 50)), ms(pct(latPerm, 95)), grepHits, ms(g), float64(g)/float64(pct(lat, 50)))
	}
	fmt.Printf("%-30s %7s %9s %9s %9s %9s %7s %9s %6.0fx\n", "ALL QUERIES", "", ms(pct(all, 50)), ms(pct(all, 95)),
		ms(pct(allPerm, 50)), ms(pct(allPerm, 95)), "", ms(pct(allGrep, 50)), float64(pct(allGrep, 50))/float64(pct(all, 50)))

	fmt.Printf("\n%-16s %6s %9s %9s\n", "Suggest prefix", "pages", "p50", "p95")
	var sugg []time.Duration
	for _, p := range []string{"k", "ke", "keuken", "afd", "wmo lo", "onderwerp 12", "onderwerp 4711", "beleid", "zz"} {
		var lat []time.Duration
		var got int
		for range runs {
			t := time.Now()
			s, err := ix.Suggest(ctx, p, 10, canRead)
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			got = len(s)
		}
		sugg = append(sugg, lat...)
		fmt.Printf("%-16s %6d %9s %9s\n", p, got, ms(pct(lat, 50)), ms(pct(lat, 95)))
	}
	fmt.Printf("%-16s %6s %9s %9s\n\n", "ALL (CanRead)", "", ms(pct(sugg, 50)), ms(pct(sugg, 95)))

	// From a commit to the page being found.
	var fresh []time.Duration
	for i := range 10 {
		word := fmt.Sprintf("nieuwwoord%dx", i)
		t := time.Now()
		if _, err := repo.Commit(ctx, wiki.Commit{Author: wiki.Author{Name: "Bench"}, Message: "bench", Changes: []wiki.Change{
			{Name: wiki.Name(fmt.Sprintf("Vers/Pagina %d", i)), Content: []byte("# Vers\n\nHet " + word + " staat hier.\n")},
		}}); err != nil {
			b.Fatal(err)
		}
		for {
			res, err := ix.Search(ctx, search.Query{Text: word})
			if err != nil {
				b.Fatal(err)
			}
			if res.Total == 1 {
				break
			}
			if time.Since(t) > time.Minute {
				b.Fatalf("%s not found after a minute", word)
			}
			time.Sleep(time.Millisecond)
		}
		fresh = append(fresh, time.Since(t))
	}
	fmt.Printf("commit to findable (10 commits): p50 %s, max %s\n", ms(pct(fresh, 50)), ms(pct(fresh, 100)))
	b.ReportMetric(float64(pct(all, 95).Microseconds())/1000, "p95-ms")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// pct returns the p-th percentile (nearest rank).
func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// gitGrep runs git grep -i in the checkout and returns the number of files
// that match every pattern.
func gitGrep(b *testing.B, dir string, patterns []string) int {
	args := []string{"grep", "-i", "-l", "--all-match", "-F"}
	for _, p := range patterns {
		args = append(args, "-e", p)
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return 0 // nothing found
		}
		b.Fatalf("git grep: %v", err)
	}
	return strings.Count(string(out), "\n")
}

func gitCmd(b *testing.B, dir string, args ...string) {
	b.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// generate writes a bare repository of n pages with git fast-import: 100
// pages a commit, by a dozen authors over two years, in 20 folders of
// subfolders.
func generate(b *testing.B, dir string, n int) {
	gitCmd(b, "", "init", "-q", "--bare", "-b", "main", dir)
	cmd := exec.Command("git", "-c", "pack.compression=1", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	writePages(w, n)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatal(err)
	}
}

// The vocabulary: civil-service Dutch, compounds made of it (so that the
// term dictionary is as large as a real wiki's), street names, and some
// English pages.
var (
	roots = strings.Fields("zorg wijk keuken tafel gesprek aanvraag beleid plan loket budget vervoer hulp " +
		"middel woning aanpassing indicatie termijn klant reis dossier bezwaar besluit jeugd werk inkomen " +
		"schuld armoede burger raad verordening mantel respijt dag besteding begeleiding huishouding " +
		"voorziening maatwerk toegang team overleg melding onderzoek privacy verklaring formulier " +
		"kosten bijdrage eigen regie netwerk school vrijwilliger wachtlijst contract aanbieder")
	subjects = []string{"De gemeente", "Het loket", "De klantmanager", "Het team", "De inwoner", "De consulent",
		"De afdeling", "Het college", "De wijkcoach", "De aanvrager", "Het sociaal wijkteam", "De mantelzorgers"}
	verbs = []string{"beoordeelt", "registreert", "bespreekt", "controleert", "ontvangt", "verwerkt", "beschrijft",
		"plant", "evalueert", "archiveert", "deelt", "ondersteunt", "bewaakt", "actualiseert", "bespraken", "aanvragen"}
	objects = []string{"de aanvraag", "het keukentafelgesprek", "de melding", "het ondersteuningsplan",
		"de beschikking", "de beschikkingen", "het dossier", "de termijn", "de klantreis", "het verslag",
		"de werkinstructie", "de privacyverklaring", "het bezwaar", "de indicatie", "de maatwerkvoorziening",
		"de financiële bijdrage", "de eigen kracht", "de woningaanpassing", "de vervoersvoorziening",
		"de schuldhulpverlening", "de jeugdhulp", "het budget", "de respijtzorg"}
	adverbials = []string{"binnen zes weken", "na overleg met de inwoner", "in het zaaksysteem",
		"voor de volgende stap", "volgens de werkinstructie", "zo snel mogelijk", "tijdens het spreekuur",
		"in samenwerking met de wijkcoach", "conform de verordening", "aan het eind van het kwartaal",
		"digitaal", "met een kopie aan de aanvrager", "op basis van eigen kracht", "bij het WMO-loket"}
	headingWords = []string{"Aanleiding", "Werkwijze", "Termijnen", "Rollen en verantwoordelijkheden",
		"Privacy", "Contact", "Veelgestelde vragen", "Stappenplan", "Achtergrond", "Besluiten", "Open punten"}
	streets  = strings.Fields("Zwaluwstraat Merelweg Kerkplein Dorpsstraat Molenweg Schoolstraat Lindelaan Beukenlaan")
	english  = []string{"The application is reviewed by the consultant.", "Applications are registered in the case system.", "The resident receives a decision within six weeks.", "Support plans are evaluated every year."}
	authorsG = []string{"Anna de Vries <anna@gemeente.example>", "Jan Jansen <jan@gemeente.example>", "Fatima El Amrani <fatima@gemeente.example>",
		"Pieter Bakker <pieter@gemeente.example>", "Sanne Visser <sanne@gemeente.example>", "Mohammed Yilmaz <mo@gemeente.example>",
		"Lotte Smit <lotte@gemeente.example>", "Henk de Boer <henk@gemeente.example>", "Ingrid Mulder <ingrid@gemeente.example>",
		"Kees Meijer <kees@gemeente.example>", "Priya Ramdin <priya@gemeente.example>", "Bram Hoekstra <bram@gemeente.example>"}
)

func compound(r *rand.Rand) string {
	w := roots[r.IntN(len(roots))] + roots[r.IntN(len(roots))]
	if r.IntN(3) == 0 {
		w += roots[r.IntN(len(roots))]
	}
	if r.IntN(4) == 0 {
		w += "en"
	}
	return w
}

func writePages(w io.Writer, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	when := time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC).Unix()
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			when += 3600 * 7
			fmt.Fprintf(w, "commit refs/heads/main\ncommitter %s %d +0100\ndata <<EOM\nImport %d\nEOM\n", authorsG[(i/100)%len(authorsG)], when, i/100)
		}
		var sb strings.Builder
		en := i%10 == 9
		if en {
			sb.WriteString("---\nlang: en\n---\n")
		}
		fmt.Fprintf(&sb, "# Onderwerp %d %s\n\n", i, strings.ToUpper(compound(r)[:1])+compound(r)[1:])
		lines := 8 + r.IntN(40)
		for l := 0; l < lines; l++ {
			switch k := r.IntN(12); {
			case k == 0:
				fmt.Fprintf(&sb, "\n## %s\n\n", pick(headingWords))
			case k == 1:
				fmt.Fprintf(&sb, "- %s aan de %s %d\n", pick(objects), pick(streets), 1+r.IntN(200))
			case k == 2:
				fmt.Fprintf(&sb, "- %s en %s\n", compound(r), compound(r))
			case en && k <= 6:
				sb.WriteString(pick(english) + "\n")
			default:
				fmt.Fprintf(&sb, "%s %s %s %s, met %s.\n", pick(subjects), pick(verbs), pick(objects), pick(adverbials), compound(r))
			}
		}
		text := sb.String()
		fmt.Fprintf(w, "M 100644 inline \"Afdeling %02d/Team %d/Onderwerp %05d.md\"\ndata %d\n%s\n", i%20, (i/20)%5, i, len(text), text)
	}
}
