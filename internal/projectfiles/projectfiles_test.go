// Package projectfiles_test checks the files that make wikiwerk publishable
// as public code: the licence, publiccode.yml, the list of third-party
// software and the changelog.
package projectfiles_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// root is the repository's top folder, seen from this package.
const root = "../.."

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLicenseIsEUPL12 checks that LICENSE is the whole European Union
// Public Licence 1.2: its title, all fifteen articles and the appendix of
// compatible licences.
func TestLicenseIsEUPL12(t *testing.T) {
	text := read(t, "LICENSE")
	if !strings.HasPrefix(text, "European Union Public Licence v. 1.2\n") {
		t.Fatalf("LICENSE does not start with the EUPL 1.2 title: %.60q", text)
	}
	articles := []string{"Definitions", "Scope of the rights granted by the Licence",
		"Communication of the Source Code", "Limitations on copyright", "Obligations of the Licensee",
		"Chain of Authorship", "Disclaimer of Warranty", "Disclaimer of Liability", "Additional agreements",
		"Acceptance of the Licence", "Information to the public", "Termination of the Licence",
		"Miscellaneous", "Jurisdiction", "Applicable Law"}
	for i, a := range articles {
		heading := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(strconv.Itoa(i+1)+". "+a) + `$`)
		if !heading.MatchString(text) {
			t.Errorf("LICENSE lacks article %d, %q", i+1, a)
		}
	}
	for _, s := range []string{"EUPL © the European Union 2007, 2016", "'Compatible Licences' according to Article 5 EUPL are:",
		"European Union Public Licence (EUPL) v. 1.1, v. 1.2"} {
		if !strings.Contains(text, s) {
			t.Errorf("LICENSE lacks %q", s)
		}
	}
}

// publiccode is the part of the publiccode.yml standard (0.4) that is
// mandatory, plus what the tests check of it.
type publiccode struct {
	PubliccodeYmlVersion string   `yaml:"publiccodeYmlVersion"`
	Name                 string   `yaml:"name"`
	URL                  string   `yaml:"url"`
	SoftwareVersion      string   `yaml:"softwareVersion"`
	ReleaseDate          string   `yaml:"releaseDate"`
	Platforms            []string `yaml:"platforms"`
	Categories           []string `yaml:"categories"`
	DevelopmentStatus    string   `yaml:"developmentStatus"`
	SoftwareType         string   `yaml:"softwareType"`
	Description          map[string]struct {
		ShortDescription string   `yaml:"shortDescription"`
		LongDescription  string   `yaml:"longDescription"`
		Features         []string `yaml:"features"`
	} `yaml:"description"`
	Legal struct {
		License string `yaml:"license"`
	} `yaml:"legal"`
	Maintenance struct {
		Type     string `yaml:"type"`
		Contacts []struct {
			Name string `yaml:"name"`
		} `yaml:"contacts"`
	} `yaml:"maintenance"`
	Localisation struct {
		LocalisationReady  *bool    `yaml:"localisationReady"`
		AvailableLanguages []string `yaml:"availableLanguages"`
	} `yaml:"localisation"`
}

// TestPubliccodeYml checks publiccode.yml against the rules of the
// standard for its mandatory keys.
func TestPubliccodeYml(t *testing.T) {
	src := []byte(read(t, "publiccode.yml"))
	var pc publiccode
	if err := yaml.Unmarshal(src, &pc); err != nil {
		t.Fatalf("publiccode.yml: %v", err)
	}
	// Every top-level key must be one of the standard's, so that a typo
	// does not go unnoticed.
	var top map[string]any
	if err := yaml.Unmarshal(src, &top); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"publiccodeYmlVersion": true, "name": true, "applicationSuite": true, "url": true,
		"landingURL": true, "isBasedOn": true, "softwareVersion": true, "releaseDate": true, "logo": true,
		"monochromeLogo": true, "inputTypes": true, "outputTypes": true, "platforms": true, "categories": true,
		"usedBy": true, "roadmap": true, "developmentStatus": true, "softwareType": true, "intendedAudience": true,
		"description": true, "legal": true, "maintenance": true, "localisation": true, "dependsOn": true, "it": true}
	for k := range top {
		if !known[k] {
			t.Errorf("publiccode.yml: %q is not a key of the standard", k)
		}
	}
	check := func(ok bool, format string, args ...any) {
		t.Helper()
		if !ok {
			t.Errorf(format, args...)
		}
	}
	check(pc.PubliccodeYmlVersion == "0.4", "publiccodeYmlVersion %q, want 0.4", pc.PubliccodeYmlVersion)
	check(pc.Name != "", "name is missing")
	check(strings.HasPrefix(pc.URL, "https://"), "url %q is not an https address", pc.URL)
	check(regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(pc.ReleaseDate), "releaseDate %q is not YYYY-MM-DD", pc.ReleaseDate)
	check(len(pc.Platforms) > 0, "platforms is empty")
	check(len(pc.Categories) > 0, "categories is empty")
	// A part of the standard's list of categories.
	categories := map[string]bool{"knowledge-management": true, "content-management": true, "web-collaboration": true,
		"collaboration": true, "document-management": true, "project-collaboration": true}
	for _, c := range pc.Categories {
		check(categories[c], "category %q is not one of the standard's", c)
	}
	check(map[string]bool{"concept": true, "development": true, "beta": true, "stable": true, "obsolete": true}[pc.DevelopmentStatus],
		"developmentStatus %q is not allowed", pc.DevelopmentStatus)
	check(map[string]bool{"standalone/mobile": true, "standalone/iot": true, "standalone/desktop": true, "standalone/web": true,
		"standalone/backend": true, "standalone/other": true, "addon": true, "library": true, "configurationFiles": true}[pc.SoftwareType],
		"softwareType %q is not allowed", pc.SoftwareType)
	for _, lang := range []string{"nl", "en"} {
		d, ok := pc.Description[lang]
		check(ok, "no description in %s", lang)
		check(d.ShortDescription != "" && utf8.RuneCountInString(d.ShortDescription) <= 150,
			"%s shortDescription has %d characters (1–150)", lang, utf8.RuneCountInString(d.ShortDescription))
		n := utf8.RuneCountInString(d.LongDescription)
		check(n >= 150 && n <= 10000, "%s longDescription has %d characters (150–10,000)", lang, n)
		check(len(d.Features) > 0, "%s features are missing", lang)
	}
	check(pc.Legal.License == "EUPL-1.2", "legal.license %q, want EUPL-1.2", pc.Legal.License)
	check(pc.Maintenance.Type == "community" || pc.Maintenance.Type == "internal" || pc.Maintenance.Type == "contract" || pc.Maintenance.Type == "none",
		"maintenance.type %q is not allowed", pc.Maintenance.Type)
	check(pc.Maintenance.Type == "none" || len(pc.Maintenance.Contacts) > 0, "maintenance.contacts are missing")
	check(pc.Localisation.LocalisationReady != nil, "localisation.localisationReady is missing")
	check(strings.Join(pc.Localisation.AvailableLanguages, ",") == "nl,en", "availableLanguages %v, want nl and en", pc.Localisation.AvailableLanguages)
	if !strings.Contains(read(t, "CHANGELOG.md"), "\n## "+pc.SoftwareVersion+" ") {
		t.Errorf("CHANGELOG.md has no section for softwareVersion %s", pc.SoftwareVersion)
	}
}

// TestThirdPartyListed checks that every direct dependency (go.mod and
// package.json) is named, with its licence, in docs/third-party.md.
func TestThirdPartyListed(t *testing.T) {
	list := read(t, "docs/third-party.md")
	inBlock := false
	for _, line := range strings.Split(read(t, "go.mod"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "require ("):
			inBlock = true
			continue
		case line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if line == "" || strings.Contains(line, "// indirect") {
			continue
		}
		module := strings.Fields(line)[0]
		if !strings.Contains(list, module) {
			t.Errorf("go.mod requires %s, which docs/third-party.md does not list", module)
		}
	}
	var pkg struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal([]byte(read(t, "package.json")), &pkg); err != nil {
		t.Fatal(err)
	}
	for _, deps := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
		for name, version := range deps {
			if !strings.Contains(list, "| "+name+" | "+version+" |") {
				t.Errorf("package.json has %s %s, which docs/third-party.md does not list with that version", name, version)
			}
		}
	}
}
