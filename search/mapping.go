package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/nl"
	"github.com/blevesearch/bleve/v2/analysis/token/edgengram"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	index "github.com/blevesearch/bleve_index_api"
)

// mappingVersion names everything that decides what the index holds: the
// analyzers, the fields and how a page is turned into a document. Change
// it with any of them; an index recorded with another version is thrown
// away at Open and rebuilt from the repository.
const mappingVersion = "wikiwerk-search-8"

// The analyzers. Every text analyzer folds diacritics after lowercasing,
// as a token filter rather than bleve's asciifolding character filter: a
// character filter changes the text before it is tokenized, which would
// shift every offset after a "ë" and put the <mark>s of a snippet in the
// wrong place.
const (
	// analyzerNL: unicode words, lowercase, Dutch stop words, folding,
	// Dutch Snowball stemmer ("aanvragen" and "aanvraag" are "aanvrag").
	analyzerNL = "wikiwerk_nl"
	// analyzerEN: possessives, lowercase, English stop words, folding,
	// Porter stemmer ("applications" and "application" are "applic").
	analyzerEN = "wikiwerk_en"
	// analyzerFold: words, lowercase, folding; no stemming, no stop
	// words. For words as written: prefixes, "did you mean", suggestions.
	analyzerFold = "wikiwerk_fold"
	// analyzerKeyFold: the whole value as one token, lowercased and
	// folded: tags, e-mail addresses.
	analyzerKeyFold = "wikiwerk_keyfold"
	// analyzerPrefix: words, lowercase, folding, then every start of
	// each word of minPrefix to maxGram letters ("keu", "keuk", ...):
	// a prefix query is then one term.
	analyzerPrefix = "wikiwerk_prefix"
	// foldFilter is the token filter that folds diacritics.
	foldFilter = "wikiwerk_fold"
	// edgeFilter makes the starts of words.
	edgeFilter = "wikiwerk_edge"
	// maxGram is the longest start of a word that is indexed. A longer
	// prefix is expanded over the words that start so, which are few.
	maxGram = 10
)

// The fields of a page's document. Text that depends on the page's
// language is indexed under a field per language (title_nl or title_en,
// ...), each with its own analyzer; a query asks both, analysing each
// word once per language, so a Dutch page and an English one are each
// matched on their own stems.
const (
	fieldName        = "name"         // keyword, the page name (also the document id)
	fieldTitle       = "title"        // stored only, for display
	fieldSuggest     = "suggest"      // fold: words of title and name, for prefixes
	fieldSpell       = "spell"        // fold: the body as written, for "did you mean" and long prefixes
	fieldSpellHead   = "spell_head"   // fold: the headings as written, likewise
	fieldPrefixTitle = "prefix_title" // prefix: words of title and name
	fieldPrefixHead  = "prefix_head"  // prefix: words of headings
	fieldPrefixBody  = "prefix_body"  // prefix: words of the body
	fieldFolder      = "folder"       // keyword, every ancestor folder
	fieldTags        = "tags"         // keyfold
	fieldLang        = "lang"         // keyword, "nl" or "en"
	fieldAuthor      = "author"       // keyword, the last change's author name (stored)
	fieldAuthorEmail = "author_email" // keyfold
	fieldAuthorText  = "author_text"  // fold, the author's name as words
	fieldTime        = "time"         // datetime, the last change (stored, sortable)
	fieldRevision    = "revision"     // stored only
)

// langs are the languages the index knows, the first the default.
var langs = []string{"nl", "en"}

func langField(base, lang string) string { return base + "_" + lang }

func init() {
	// bleve finds analysis components by name in a global registry, also
	// when it opens an index whose mapping names them; registering here
	// is the only way to use one of our own.
	if err := registry.RegisterTokenFilter(foldFilter, func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
		return foldTokens{}, nil
	}); err != nil {
		panic(err)
	}
}

// foldTokens folds each token's diacritics with bleve's ASCII folding
// ("financiële" -> "financiele", "één" -> "een"). The token keeps its
// offsets into the original text.
type foldTokens struct{}

var asciiFolder = asciifolding.New()

func (foldTokens) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		if !isASCII(t.Term) {
			t.Term = asciiFolder.Filter(t.Term)
		}
	}
	return input
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// newMapping builds the index mapping. Documents have one type, with
// exactly the fields of document (dynamic fields are off).
func newMapping() (*mapping.IndexMappingImpl, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = index.BM25Scoring
	if err := im.AddCustomTokenFilter(edgeFilter, map[string]interface{}{
		"type": edgengram.Name, "min": float64(minPrefix), "max": float64(maxGram),
	}); err != nil {
		return nil, err
	}
	analyzers := map[string][]string{
		analyzerPrefix:  {lowercase.Name, foldFilter, edgeFilter},
		analyzerNL:      {lowercase.Name, nl.StopName, foldFilter, nl.SnowballStemmerName},
		analyzerEN:      {en.PossessiveName, lowercase.Name, en.StopName, foldFilter, porter.Name},
		analyzerFold:    {lowercase.Name, foldFilter},
		analyzerKeyFold: {lowercase.Name, foldFilter},
	}
	for name, filters := range analyzers {
		tokenizer := unicode.Name
		if name == analyzerKeyFold {
			tokenizer = single.Name
		}
		fs := make([]interface{}, len(filters))
		for i, f := range filters {
			fs[i] = f
		}
		if err := im.AddCustomAnalyzer(name, map[string]interface{}{
			"type":          custom.Name,
			"tokenizer":     tokenizer,
			"token_filters": fs,
		}); err != nil {
			return nil, err
		}
	}
	im.DefaultAnalyzer = analyzerFold

	text := func(analyzer string, store, vectors bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeTermVectors = vectors
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	keyword := func(store bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = store
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	storedOnly := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}

	doc := bleve.NewDocumentStaticMapping()
	add := func(name string, f *mapping.FieldMapping) { doc.AddFieldMappingsAt(name, f) }
	add(fieldName, keyword(false))
	add(fieldTitle, storedOnly())
	add(fieldSuggest, text(analyzerFold, false, false))
	add(fieldSpell, text(analyzerFold, false, false))
	add(fieldSpellHead, text(analyzerFold, false, false))
	for _, f := range []string{fieldPrefixTitle, fieldPrefixHead, fieldPrefixBody} {
		// Ranked by field only: term frequencies and norms of word
		// starts would cost space and indexing time for nothing.
		pf := text(analyzerPrefix, false, false)
		pf.SkipFreqNorm = true
		add(f, pf)
	}
	add(fieldFolder, keyword(false))
	add(fieldTags, text(analyzerKeyFold, false, false))
	add(fieldLang, keyword(false))
	add(fieldAuthor, keyword(true))
	add(fieldAuthorEmail, text(analyzerKeyFold, false, false))
	add(fieldAuthorText, text(analyzerFold, false, false))
	t := bleve.NewDateTimeFieldMapping()
	t.Store, t.IncludeInAll, t.DocValues = true, false, true
	add(fieldTime, t)
	add(fieldRevision, storedOnly())
	for _, lang := range langs {
		analyzer := analyzerNL
		if lang == "en" {
			analyzer = analyzerEN
		}
		add(langField("title", lang), text(analyzer, false, true))
		add(langField("headings", lang), text(analyzer, false, true))
		// The body is stored for snippets, with term vectors for the
		// offsets of matches and for phrases.
		add(langField("body", lang), text(analyzer, true, true))
	}
	// No _all field: every query names its fields.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	im.DefaultMapping = doc
	im.StoreDynamic, im.IndexDynamic, im.DocValuesDynamic = false, false, false
	return im, nil
}

// analyzerFor returns the text analyzer of a language.
func analyzerFor(lang string) string {
	if lang == "en" {
		return analyzerEN
	}
	return analyzerNL
}
