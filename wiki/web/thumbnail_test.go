package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"testing"
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
