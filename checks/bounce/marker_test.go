package bounce

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var markerCases = []string{
	"",
	"no marker here",
	"text\n--- Below this line is a copy of the message.\n\nReturn-Path: <a@b>\n",
	"text\n  ------ This is a copy of the headers\nX: y\n",
	"a message that does not follow\nthe Original Message follows\n",
	"x\n-----\n\n \t\n  Original Message Header\nSubject: s\n",
	"x\n----- \n-\n\tOriginal Message Header\n",
	"Content-Type: text/RFC822-HEADERS\n\nFrom: a@b\n",
	"MESSAGE\nmessage headers\nHEADERS\n  Undelivered Message Follows\n",
	"messageheaders message follows",
	"-ſ\n---- Original meſſage\n",
	"line\r\n------ The message and its headers\r\n",
}

// TestFindMarker: the line-windowed search finds what the pattern over
// the whole text finds.
func TestFindMarker(t *testing.T) {
	texts := slices.Clone(markerCases)
	files, _ := filepath.Glob(filepath.Join(sisimai, "maildir", "*", "*.eml"))
	more, _ := filepath.Glob("testdata/*.eml")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
	}
	for _, s := range texts {
		if got, want := findMarker(s), originalMarkers.FindStringIndex(s); !slices.Equal(got, want) {
			t.Errorf("findMarker(%.80q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzFindMarker(f *testing.F) {
	for _, s := range markerCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := findMarker(s), originalMarkers.FindStringIndex(s); !slices.Equal(got, want) {
			t.Fatalf("findMarker(%q) = %v, want %v", s, got, want)
		}
	})
}
