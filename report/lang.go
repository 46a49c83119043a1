package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/whymail/whymail/checks"
)

// Wording is the words of a catalog entry in one language. A language other than English
// gives only these; what the entry means for the ranking (Common, Default,
// NothingSent, NeedsDelivery, Explains, Needs) is the English entry's, so
// that a diagnosis ranks the same in every language.
type Wording struct {
	Title          string
	Explanation    string
	Steps          []string
	Reply          string
	SettledBy      string
	DefaultMessage string
}

// translate builds the catalog of a language from its words: each entry is
// the English one with the words replaced.
func translate(words map[checks.CauseID]Wording) Catalog {
	c := Catalog{}
	for id, en := range English {
		e := *en
		e.ID = id // not left to the order of package initialisation
		if e.Default == "" {
			e.Default = checks.Unknown
		}
		if w, ok := words[id]; ok {
			e.Title, e.Explanation, e.Reply, e.SettledBy = w.Title, w.Explanation, w.Reply, w.SettledBy
			e.Steps = slices.Clone(w.Steps)
			if en.DefaultMessage != "" {
				e.DefaultMessage = w.DefaultMessage
			}
		} else {
			// A missing entry stays empty, so that TestCatalogLanguages
			// names it rather than English standing in unnoticed.
			e.Title, e.Explanation, e.Reply, e.SettledBy, e.Steps, e.DefaultMessage = "", "", "", "", nil, ""
		}
		c[id] = &e
	}
	return c
}

// catalogs are the catalogs by language tag (BCP 47, lower-case).
var catalogs = map[string]Catalog{
	"en": English,
	"fr": French,
}

// languageNames name each language of catalogs in itself, for a front
// end's choice of language.
var languageNames = map[string]string{
	"en": "English",
	"fr": "Français",
}

// LanguageName is the name of the language tag in itself ("Français"),
// or the tag when it has no catalog.
func LanguageName(tag string) string {
	if n, ok := languageNames[tag]; ok {
		return n
	}
	return tag
}

// Languages lists the languages with a catalog, sorted.
func Languages() []string {
	out := make([]string, 0, len(catalogs))
	for l := range catalogs {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// CatalogFor returns the catalog of language lang ("fr", "fr-CA" and "FR"
// are French), or an error naming the languages there are.
func CatalogFor(lang string) (Catalog, error) {
	tag, err := Language(lang)
	if err != nil {
		return nil, err
	}
	return catalogs[tag], nil
}

// Language returns the tag of the catalog that CatalogFor gives for lang
// ("fr-CA" is "fr"), or an error naming the languages there are.
func Language(lang string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(lang))
	if _, ok := catalogs[l]; ok {
		return l, nil
	}
	if base, _, ok := strings.Cut(strings.ReplaceAll(l, "_", "-"), "-"); ok {
		if _, ok := catalogs[base]; ok {
			return base, nil
		}
	}
	return "", fmt.Errorf("no catalog in %q: the languages are %s", lang, strings.Join(Languages(), ", "))
}
