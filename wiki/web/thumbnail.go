package web

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"slices"
	"strconv"
	"sync"

	"github.com/golang/groupcache/lru"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decodes WebP for reduced images
)

// Reduced images: /-/files/{path}?w=800 serves a raster image scaled
// down to that width, from a bounded cache in memory keyed by blob and
// width. Only a few widths are offered, so that the cache cannot be
// flooded with one entry per width.
var thumbWidths = []int{400, 800, 1600}

const (
	// thumbEntries bounds the reduced images kept in memory.
	thumbEntries = 64
	// thumbMaxPixels is the largest image (width × height) that is
	// decoded to reduce it; a larger one is served as it is.
	thumbMaxPixels = 50_000_000
)

// thumbnails is the cache of reduced images; sem bounds how many are made
// at once, since decoding and scaling is CPU and memory work.
type thumbnails struct {
	mu    sync.Mutex
	cache *lru.Cache // thumbKey -> thumb
	sem   chan struct{}
}

type thumbKey struct {
	blob  string
	width int
}

// thumb is a reduced image; content nil means the image is not reduced
// (too small, too large or not decodable): serve the original.
type thumb struct {
	content []byte
	ctype   string
}

func newThumbnails() *thumbnails {
	return &thumbnails{cache: lru.New(thumbEntries), sem: make(chan struct{}, 2)}
}

// thumbWidth parses ?w=: one of thumbWidths, else 0.
func thumbWidth(v string) int {
	w, err := strconv.Atoi(v)
	if err != nil || !slices.Contains(thumbWidths, w) {
		return 0
	}
	return w
}

// get returns the image in blob reduced to width, making it when needed.
func (t *thumbnails) get(blob string, width int, content []byte) thumb {
	key := thumbKey{blob, width}
	t.mu.Lock()
	v, ok := t.cache.Get(key)
	t.mu.Unlock()
	if ok {
		return v.(thumb)
	}
	t.sem <- struct{}{}
	th := reduce(content, width)
	<-t.sem
	t.mu.Lock()
	t.cache.Add(key, th)
	t.mu.Unlock()
	return th
}

// reduce scales a PNG, JPEG, GIF or WebP image down to width, keeping its
// aspect ratio: JPEG stays JPEG, the others become PNG.
func reduce(content []byte, width int) thumb {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(content))
	if err != nil || cfg.Width <= width || cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > thumbMaxPixels {
		return thumb{}
	}
	if format == "gif" && animated(content) {
		return thumb{} // a reduced GIF would be its first frame only
	}
	src, _, err := image.Decode(bytes.NewReader(content))
	if err != nil {
		return thumb{}
	}
	height := max(1, int(int64(cfg.Height)*int64(width)/int64(cfg.Width)))
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var b bytes.Buffer
	if format == "jpeg" {
		if err := jpeg.Encode(&b, dst, &jpeg.Options{Quality: 85}); err != nil {
			return thumb{}
		}
		return thumb{content: b.Bytes(), ctype: "image/jpeg"}
	}
	if err := png.Encode(&b, dst); err != nil {
		return thumb{}
	}
	return thumb{content: b.Bytes(), ctype: "image/png"}
}

// animated reports whether a GIF has more than one frame (or cannot be
// read whole, which is then not worth reducing either).
func animated(content []byte) bool {
	g, err := gif.DecodeAll(bytes.NewReader(content))
	return err != nil || len(g.Image) > 1
}
