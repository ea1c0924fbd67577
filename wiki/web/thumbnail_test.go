package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/wikiwerk/wikiwerk/wiki"
)

func pngOf(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReducedImages(t *testing.T) {
	tw := newFileWiki(t, 10<<20)
	big := pngOf(t, 2000, 1000)
	tw.commitFile("WMO-loket/Ontwerp/groot.png", big)
	small := pngOf(t, 300, 100)
	tw.commitFile("WMO-loket/Ontwerp/klein.png", small)

	for range 2 { // the second time from the cache
		code, body, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/groot.png?w=800", "", "")
		if code != 200 || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("reduced: %d %v", code, h)
		}
		cfg, err := png.DecodeConfig(bytes.NewReader([]byte(body)))
		if err != nil || cfg.Width != 800 || cfg.Height != 400 {
			t.Fatalf("reduced image is %+v %v", cfg, err)
		}
		if etag := h.Get("ETag"); etag == "" || etag == "\"\"" || !bytes.Contains([]byte(etag), []byte("-w800")) {
			t.Errorf("etag %q", etag)
		}
	}
	// A width not offered, or an image smaller than it, is the original.
	for u, want := range map[string]string{"/-/files/WMO-loket/Ontwerp/groot.png?w=801": big, "/-/files/WMO-loket/Ontwerp/klein.png?w=800": small} {
		code, body, _ := tw.do("GET", u, "", "")
		if code != http.StatusOK || body != want {
			t.Errorf("%s: %d, original=%v", u, code, body == want)
		}
	}
}

// noisyPNG is a w×h PNG of random pixels, which PNG cannot compress: a
// photo-like file of about 4·w·h bytes.
func noisyPNG(t *testing.T, w, h int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(4, 2026))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A page shows a large image reduced, linked to the original; a small one
// as it is; one inside a link keeps that link.
func TestPageShowsLargeImagesReduced(t *testing.T) {
	tw := newFileWiki(t, 10<<20)
	big := noisyPNG(t, 1000, 400)
	if len(big) < 1<<20 {
		t.Fatalf("the large image is only %d bytes", len(big))
	}
	tw.commitFile("WMO-loket/Ontwerp/plattegrond.png", big)
	tw.commitFile("WMO-loket/Ontwerp/logo.png", pngOf(t, 300, 100))
	tw.commitFile("WMO-loket/Ontwerp/wijk.png", big)
	page := "Plattegrond: ![De plattegrond](Ontwerp/plattegrond.png)\n\n" +
		"Logo: ![Het logo](Ontwerp/logo.png)\n\n" +
		"Wijk: [![De wijk](Ontwerp/wijk.png)](Beleid.md)\n"
	if _, err := tw.repo.Commit(context.Background(), wiki.Commit{Author: wiki.Author{Name: "git"}, Message: "page",
		Changes: []wiki.Change{{Name: "WMO-loket/Kaart", Content: []byte(page)}}}); err != nil {
		t.Fatal(err)
	}
	code, html, _ := tw.do("GET", "/WMO-loket/Kaart", "", "")
	if code != http.StatusOK {
		t.Fatalf("view: %d", code)
	}
	for _, want := range []string{
		`<a href="/-/files/WMO-loket/Ontwerp/plattegrond.png"><img src="/-/files/WMO-loket/Ontwerp/plattegrond.png?w=800" alt="De plattegrond" loading="lazy"></a>`,
		`<img src="/-/files/WMO-loket/Ontwerp/logo.png" alt="Het logo" loading="lazy">`,
		`<a href="/-/edit/WMO-loket/Beleid" class="wikilink-missing" title="`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(html, `<a href="/-/files/WMO-loket/Ontwerp/logo.png">`) || strings.Contains(html, `<a href="/-/files/WMO-loket/Ontwerp/wijk.png">`) {
		t.Errorf("a small image, or one in a link, got a link of its own")
	}
	if !strings.Contains(html, `"><img src="/-/files/WMO-loket/Ontwerp/wijk.png?w=800" alt="De wijk" loading="lazy"></a>`) {
		t.Errorf("the image in a link is not reduced inside that link")
	}

	// What the page points at: a valid image, smaller than the original.
	code, reduced, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/plattegrond.png?w=800", "", "")
	cfg, err := png.DecodeConfig(strings.NewReader(reduced))
	if code != http.StatusOK || h.Get("Content-Type") != "image/png" || err != nil || cfg.Width != 800 || cfg.Height != 320 {
		t.Fatalf("reduced: %d %s %+v %v", code, h.Get("Content-Type"), cfg, err)
	}
	if _, err := png.Decode(strings.NewReader(reduced)); err != nil || len(reduced) >= len(big) {
		t.Errorf("reduced image: %d bytes of %d, %v", len(reduced), len(big), err)
	}
}

// An animated GIF keeps its animation: it is not reduced to its first frame.
func TestAnimatedGIFIsNotReduced(t *testing.T) {
	tw := newFileWiki(t, 10<<20)
	anim := &gif.GIF{}
	for i := range 2 {
		frame := image.NewPaletted(image.Rect(0, 0, 1000, 10), color.Palette{color.Black, color.White})
		frame.SetColorIndex(i, 0, 1)
		anim.Image, anim.Delay = append(anim.Image, frame), append(anim.Delay, 10)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, anim); err != nil {
		t.Fatal(err)
	}
	tw.commitFile("WMO-loket/Ontwerp/animatie.gif", b.String())
	code, body, h := tw.do("GET", "/-/files/WMO-loket/Ontwerp/animatie.gif?w=800", "", "")
	if code != http.StatusOK || body != b.String() || h.Get("Content-Type") != "image/gif" {
		t.Errorf("animated GIF: %d %s, original=%v", code, h.Get("Content-Type"), body == b.String())
	}
}
