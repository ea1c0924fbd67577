package markdown

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// maxPage is the largest page the wiki accepts (wiki.Options.MaxPageBytes)
// less one byte: every bomb is tried at the largest size under it.
const maxPage = 1<<20 - 1

// bomb is a shape of input on which goldmark or chroma used to spend
// quadratic time or worse, and the limit that now stops it ("" when the
// page renders, with its code unhighlighted).
type bomb struct {
	name string
	// gen returns the shape in at most n bytes.
	gen  func(n int) string
	over Limit
}

func bombs() []bomb {
	return []bomb{
		{"blockquotes", func(n int) string { return strings.Repeat(">", n-2) + " x" }, LimitNesting},
		{"ordered lists", func(n int) string { return strings.Repeat("1. ", (n-1)/3) + "x" }, LimitNesting},
		{"indented ordered lists", indentedLists, LimitNesting},
		{"list markers", func(n int) string { return strings.Repeat("- ", (n-1)/2) + "x" }, LimitNesting},
		{"footnote chain", footnoteChain, LimitFootnotes},
		{"link openers", func(n int) string { return strings.Repeat("[a](", n/4) }, LimitLinks},
		{"reference lookups", func(n int) string { return strings.Repeat("[a]\n", n/4) }, LimitLinks},
		{"wide table", wideTable, LimitTable},
		{"emphasis delimiters", func(n int) string { return strings.Repeat("*a_", n/3) }, LimitEmphasis},
		{"backtick runs", backtickRuns, ""},
		{"toc amplification", func(n int) string { k := n / 11; return strings.Repeat("[TOC]\n\n", k) + strings.Repeat("# h\n", k) }, LimitOutput},
		{"markdown fence", func(n int) string {
			return codeBlocks(n, "````markdown\n```yaml\n", "\n```\n````\n")
		}, ""},
		{"yaml fence", func(n int) string { return codeBlocks(n, "```yaml\n", "\n```\n") }, ""},
	}
}

// indentedLists nests ordered lists one level per line, as deep as n
// bytes allow.
func indentedLists(n int) string {
	var b strings.Builder
	for depth := 0; ; depth++ {
		line := strings.Repeat("   ", depth) + "1. x\n"
		if b.Len()+len(line) > n {
			return b.String()
		}
		b.WriteString(line)
	}
}

// backtickRuns is runs of 1, 2, 3, ... backticks, none closed.
func backtickRuns(n int) string {
	var b strings.Builder
	for k := 1; b.Len()+k+1 <= n; k++ {
		b.WriteString(strings.Repeat("`", k) + " ")
	}
	return b.String()
}

// footnoteChain is a reference to footnote 1, whose definition refers to
// 2, and so on.
func footnoteChain(n int) string {
	var b strings.Builder
	b.WriteString("[^1]\n\n")
	for i := 1; ; i++ {
		def := "[^" + strconv.Itoa(i) + "]: [^" + strconv.Itoa(i+1) + "]\n"
		if b.Len()+len(def) > n {
			return b.String()
		}
		b.WriteString(def)
	}
}

// wideTable is a header of n/8 columns over rows of one byte each, which
// goldmark pads to the full width.
func wideTable(n int) string {
	k := n / 8
	var b strings.Builder
	b.WriteString(strings.Repeat("|a", k) + "|\n" + strings.Repeat("|-", k) + "|\n")
	for b.Len()+2 <= n {
		b.WriteString("a\n")
	}
	return b.String()
}

// codeBlocks fills n bytes with code blocks of at most 32 KiB that
// chroma's YAML lexer takes seconds per kilobyte on ("? ? ? ..."), inside
// open and close.
func codeBlocks(n int, open, close string) string {
	var b strings.Builder
	for {
		size := min(32<<10, n-b.Len())
		body := size - len(open) - len(close)
		if body < 2 {
			return b.String()
		}
		b.WriteString(open + strings.Repeat("? ", body/2) + close)
	}
}

// TestBombsRender renders every bomb at the largest size the wiki accepts:
// each must finish (a test timeout is the failure) with the expected limit,
// and an over-budget page must show its source.
func TestBombsRender(t *testing.T) {
	// The default limits but for the overall timeout: a machine running
	// the race detector beside other tests may need more than 10 s, and
	// the time a render takes is not what this test judges.
	limits := DefaultLimits()
	limits.Timeout = time.Hour
	r := New(WithLimits(limits))
	for _, bm := range bombs() {
		t.Run(bm.name, func(t *testing.T) {
			src := bm.gen(maxPage)
			if len(src) > maxPage || len(src) < maxPage-64<<10 {
				t.Fatalf("bomb is %d bytes", len(src))
			}
			start := time.Now()
			d := render(t, r, src, nil)
			t.Logf("%d bytes: %v, limit %q, %d bytes of HTML", len(src), time.Since(start), d.Limit, len(d.HTML))
			if d.Limit != bm.over || d.OverBudget != (bm.over != "") {
				t.Fatalf("OverBudget %v, Limit %q, want %q", d.OverBudget, d.Limit, bm.over)
			}
			if d.OverBudget {
				checkShownAsSource(t, d, src)
			}
		})
	}
}

// checkShownAsSource checks the HTML of an over-budget page: the notice,
// then exactly src as the text of a <pre>, and nothing unsafe.
func checkShownAsSource(t *testing.T, d Document, src string) {
	t.Helper()
	if d.Notice == "" || d.Headings != nil || d.Links != nil {
		t.Errorf("Notice %q, Headings %v, Links %v", d.Notice, d.Headings, d.Links)
	}
	notices := elements(t, string(d.HTML), "p")
	if len(notices) != 1 || textContent(notices[0]) != d.Notice {
		t.Fatalf("notice paragraphs %d in %.300s", len(notices), d.HTML)
	}
	if class, _ := attr(notices[0], "class"); class != noticeClass {
		t.Errorf("notice class %q", class)
	}
	pre := elements(t, string(d.HTML), "pre")
	if len(pre) != 1 || textContent(pre[0]) != strings.ReplaceAll(src, "\x00", "\uFFFD") {
		t.Fatalf("the <pre> does not hold the source: %.300s", d.HTML)
	}
	if p := unsafeHTML(t, string(d.HTML)); len(p) > 0 {
		t.Errorf("unsafe: %v", p)
	}
}

// allocated is the bytes the heap allocates while rendering src once:
// exact up to the runtime's own rounding and, unlike the budget's steps,
// it sees goldmark's own loops, which allocate as they go. Unlike a
// timing it does not depend on what else the machine is doing.
func allocated(t *testing.T, r *Renderer, src []byte) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := r.Render(context.Background(), src, nil); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// steps is the budget's count of steps of rendering src.
func steps(t *testing.T, r *Renderer, src []byte) int {
	t.Helper()
	b := newBudget(context.Background(), r.limits, len(src))
	if _, err := r.render(b, src, nil, nil); err != nil && !errors.As(err, new(*stop)) {
		t.Fatal(err)
	}
	return b.steps
}

// TestBombsLinear renders every bomb at n and 2n bytes and requires that
// doubling the input at most about doubles the work, counted two ways
// that do not depend on the machine's speed or load: the budget's steps
// (parser calls, nodes, writes), which are exact but do not see
// goldmark's own loops, and the bytes allocated, which do. Before the
// limits, doubling a bomb multiplied its rendering time by 4 or more for
// most shapes; the time is logged beside the counts, never judged.
func TestBombsLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("renders each bomb at 256 KiB and 512 KiB")
	}
	const n = 256 << 10
	// No limits in time: they would make the work done depend on the
	// machine's speed, and a machine busy with other tests may be slow.
	// Without HighlightTime, chroma's lexers are not linear (which is why
	// that limit exists, see TestHighlightTime), so code is not
	// highlighted here: the fences' own parsing is what is measured.
	r := New(WithLimits(Limits{HighlightTime: time.Hour, HighlightBytes: 1, Timeout: time.Hour}))
	for _, bm := range bombs() {
		small, large := []byte(bm.gen(n)), []byte(bm.gen(2*n))
		s1, s2 := steps(t, r, small), steps(t, r, large)
		a1, a2 := allocated(t, r, small), allocated(t, r, large)
		start := time.Now()
		allocated(t, r, large)
		elapsed := time.Since(start)
		stepRatio := float64(s2) / float64(s1)
		allocRatio := float64(a2) / float64(a1)
		t.Logf("%-24s steps %d -> %d x%.2f  allocated %d -> %d x%.2f  (%v at 2n)", bm.name, s1, s2, stepRatio, a1, a2, allocRatio, elapsed)
		if stepRatio >= 2.5 || allocRatio >= 2.5 {
			t.Errorf("%s: doubling the input multiplied steps by %.2f and allocated bytes by %.2f", bm.name, stepRatio, allocRatio)
		}
	}
}

// countdown is a context that reports itself cancelled from the nth call
// of Err on, so that a test can cancel a render at every point where it
// looks.
type countdown struct {
	context.Context
	left atomic.Int64
}

func (c *countdown) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestCancelEverywhere cancels a render at each of the places it looks at
// its context, from the first to the last: every phase must notice and
// stop with context.Canceled.
func TestCancelEverywhere(t *testing.T) {
	src := []byte(strings.Repeat("---\ntitle: T\n---\n# Kop\n\n- [ ] [[Pagina]] [x](/y) *tekst*[^1] `code`\n\n> citaat\n\n| a | b |\n|---|---|\n| c | d |\n\n```go\nfunc f() {}\n```\n\n[^1]: noot\n", 50))
	r := New()
	// How often a whole render looks.
	probe := &countdown{Context: context.Background()}
	probe.left.Store(1 << 62)
	if _, err := r.render(newBudget(probe, r.limits, len(src)), src, nil, nil); err != nil {
		t.Fatal(err)
	}
	checks := int(1<<62 - probe.left.Load())
	t.Logf("%d looks at the context", checks)
	if checks < 100 {
		t.Fatalf("only %d looks at the context", checks)
	}
	for k := 0; k < checks; k += max(1, checks/97) {
		ctx := &countdown{Context: context.Background()}
		ctx.left.Store(int64(k))
		_, err := r.render(newBudget(ctx, r.limits, len(src)), src, nil, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled at look %d of %d: err = %v", k, checks, err)
		}
	}
}

// TestCancelBomb cancels the render of a page that chroma would take
// minutes on (the highlight time is raised so that nothing else stops
// it): Render must return context.Canceled.
func TestCancelBomb(t *testing.T) {
	r := New(WithLimits(Limits{HighlightTime: time.Hour, Timeout: time.Hour}))
	src := []byte(codeBlocks(256<<10, "```yaml\n", "\n```\n"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.Render(ctx, src, nil)
	t.Logf("stopped after %v: %v", time.Since(start), err)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}

	// A context that is done before Render starts never renders.
	if _, err := r.Render(ctx, []byte("x"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: err = %v", err)
	}
}

// TestTimeout checks that the Timeout limit stops a render with
// context.DeadlineExceeded.
func TestTimeout(t *testing.T) {
	r := New(WithLimits(Limits{HighlightTime: time.Hour, Timeout: 50 * time.Millisecond}))
	_, err := r.Render(context.Background(), []byte(codeBlocks(256<<10, "```yaml\n", "\n```\n")), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestConcurrencyLimit checks that no more renders run at once than
// WithConcurrency allows, and that waiting for a slot respects the context.
func TestConcurrencyLimit(t *testing.T) {
	const slots = 2
	r := New(WithConcurrency(slots))
	var running, most atomic.Int64
	// The resolver runs in the middle of a render, with its slot held.
	resolve := func(string) Link {
		now := running.Add(1)
		for old := most.Load(); now > old && !most.CompareAndSwap(old, now); old = most.Load() {
		}
		time.Sleep(2 * time.Millisecond)
		running.Add(-1)
		return Link{}
	}
	var wg sync.WaitGroup
	for range 4 * slots {
		wg.Go(func() {
			if _, err := r.Render(context.Background(), []byte("[[a]] [[b]] [[c]]"), resolve); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := most.Load(); got > slots || got < 1 {
		t.Errorf("%d renders at once, want at most %d", got, slots)
	}

	// All slots taken: a render waits until its context gives up.
	for range slots {
		r.sem <- struct{}{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Render(ctx, []byte("x"), nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a slot: err = %v", err)
	}
	<-r.sem
	if _, err := r.Render(context.Background(), []byte("x"), nil); err != nil {
		t.Errorf("with a free slot: %v", err)
	}
}

// TestLimits exercises each limit with small values: a page just within
// renders as usual, one step beyond is shown as source.
func TestLimits(t *testing.T) {
	tests := []struct {
		name          string
		limits        Limits
		within, above string
		limit         Limit
	}{
		{"nesting", Limits{Nesting: 3}, ">>> x", ">>>> x", LimitNesting},
		{"nested lists", Limits{Nesting: 3}, "- - - x", "- - - - x", LimitNesting},
		{"quote in list", Limits{Nesting: 3}, "- > - x", "- > - > x", LimitNesting},
		{"links", Limits{Links: 3}, "[a](/a) [[b]] <https://c.example>", "[a](/a) [[b]] <https://c.example> ![d](/d)", LimitLinks},
		{"footnotes", Limits{Footnotes: 3}, "a[^1] b[^1]\n\n[^1]: n", "a[^1] b[^1] c[^1]\n\n[^1]: n", LimitFootnotes},
		{"output", Limits{}, "[TOC]\n\n" + strings.Repeat("# h\n", 1000), strings.Repeat("[TOC]\n\n", 100) + strings.Repeat("# h\n", 2000), LimitOutput},
		{"emphasis", Limits{}, strings.Repeat("*a* **b** _c_ ~~d~~ ", 1000), strings.Repeat("*a_", 10000), LimitEmphasis},
		{"table", Limits{}, "|" + strings.Repeat("a|", 100) + "\n|" + strings.Repeat("-|", 100) + "\n" + strings.Repeat("a\n", 100),
			"|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("a\n", 1000), LimitTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(WithLimits(tt.limits))
			if d := render(t, r, tt.within, nil); d.OverBudget {
				t.Errorf("%q is over the %s limit", tt.within, d.Limit)
			}
			d := render(t, r, tt.above, nil)
			if !d.OverBudget || d.Limit != tt.limit {
				t.Fatalf("%.40q: OverBudget %v, Limit %q, want %q", tt.above, d.OverBudget, d.Limit, tt.limit)
			}
			checkShownAsSource(t, d, tt.above)
			if links := r.Links([]byte(tt.above)); links != nil {
				t.Errorf("Links of an over-budget page: %q", links)
			}
		})
	}
}

// TestOverBudgetEscapes puts every hostile payload into a page over the
// nesting limit: it must show as text, never as markup.
func TestOverBudgetEscapes(t *testing.T) {
	r := New(WithLimits(Limits{Nesting: 1}))
	for _, h := range hostileInputs() {
		src := "---\ntitle: Bom\ntags: [a]\n---\n>> x\n\n" + h.src + "\n"
		d := render(t, r, src, nil)
		if d.Limit != LimitNesting {
			t.Fatalf("%q: Limit %q", src, d.Limit)
		}
		if d.Title != "Bom" || len(d.Tags) != 1 {
			t.Errorf("front matter of an over-budget page: Title %q, Tags %q", d.Title, d.Tags)
		}
		checkShownAsSource(t, d, src)
		if strings.Contains(h.src, "<script>") && !strings.Contains(string(d.HTML), "&lt;script&gt;") {
			t.Errorf("%q: no escaped <script> in %s", h.src, d.HTML)
		}
	}
}

// TestHighlightLimits checks that code beyond the highlight limits renders
// as plain escaped code with its language class, and code within them is
// highlighted as before.
func TestHighlightLimits(t *testing.T) {
	block := func(n int) string { return "```go\n" + strings.Repeat("x := \"<b>\"\n", n/11) + "```\n\n" }
	r := New(WithLimits(Limits{HighlightBytes: 3000, HighlightBlockBytes: 2000}))
	tests := []struct {
		name        string
		src         string
		highlighted int
	}{
		{"small", block(1000), 1},
		{"block too large", block(2200), 0},
		{"page total", block(1900) + block(1900), 1},
		{"small ones", block(500) + block(500) + block(500), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := render(t, r, tt.src, nil)
			pres := elements(t, string(d.HTML), "pre")
			highlighted := 0
			for _, p := range pres {
				if class, _ := attr(p, "class"); class == "chroma" {
					highlighted++
					continue
				}
				if code := p.FirstChild; code == nil || code.Data != "code" {
					t.Errorf("plain code is not <pre><code>")
				} else if class, _ := attr(code, "class"); class != "language-go" {
					t.Errorf("plain code has class %q", class)
				}
				if !strings.Contains(textContent(p), `x := "<b>"`) {
					t.Errorf("plain code lost its text: %.100q", textContent(p))
				}
			}
			if highlighted != tt.highlighted || len(pres) != strings.Count(tt.src, "```go") {
				t.Errorf("%d of %d blocks highlighted, want %d", highlighted, len(pres), tt.highlighted)
			}
			if p := unsafeHTML(t, string(d.HTML)); len(p) > 0 {
				t.Errorf("unsafe: %v", p)
			}
		})
	}
}

// TestHighlightTime checks that a lexer that would run for minutes is cut
// off by the highlight time, and the page still renders, unhighlighted.
func TestHighlightTime(t *testing.T) {
	r := New(WithLimits(Limits{HighlightTime: 20 * time.Millisecond}))
	src := codeBlocks(64<<10, "```yaml\n", "\n```\n") + "```go\nfunc f() {}\n```\n"
	d := render(t, r, src, nil)
	if d.OverBudget {
		t.Fatalf("over the %s limit", d.Limit)
	}
	for _, p := range elements(t, string(d.HTML), "pre") {
		if class, _ := attr(p, "class"); class == "chroma" {
			t.Errorf("highlighted after the highlight time was spent: %.100s", textContent(p))
		}
	}
}

// TestDefaultLimits checks that a zero Limits means the defaults.
func TestDefaultLimits(t *testing.T) {
	if got, want := (Limits{}).withDefaults(), DefaultLimits(); got != want {
		t.Errorf("zero limits give %+v, want %+v", got, want)
	}
	if got := New().limits; got != DefaultLimits() {
		t.Errorf("New() has limits %+v", got)
	}
	if got := cap(New().sem); got != 2*runtime.GOMAXPROCS(0) {
		t.Errorf("New() allows %d renders at once", got)
	}
	if got := cap(New(WithConcurrency(3)).sem); got != 3 {
		t.Errorf("WithConcurrency(3) allows %d", got)
	}
}

// BenchmarkRenderBombs renders every bomb at sizes up to the largest page
// the wiki accepts; the ns/op against size go into BENCHMARKS.md:
//
//	go test -run '^$' -bench RenderBombs -benchtime 3x ./wiki/markdown
func BenchmarkRenderBombs(b *testing.B) {
	r := New()
	for _, bm := range bombs() {
		for _, size := range []int{64 << 10, 128 << 10, 256 << 10, 512 << 10, maxPage} {
			src := []byte(bm.gen(size))
			b.Run(fmt.Sprintf("%s/%dKiB", strings.ReplaceAll(bm.name, " ", "_"), (size+1023)>>10), func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					if _, err := r.Render(context.Background(), src, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
