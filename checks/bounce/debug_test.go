package bounce

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDebugFile prints what Parse makes of $BOUNCE_FILE (a corpus path).
func TestDebugFile(t *testing.T) {
	name := os.Getenv("BOUNCE_FILE")
	if name == "" {
		t.Skip("BOUNCE_FILE not set")
	}
	f, err := os.Open(filepath.Join(sisimai, "maildir/bsd", name+".eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kind=%s format=%s subject=%q original=%+v", b.Kind, b.Format, b.Subject, b.Original)
	for _, r := range b.Recipients {
		t.Logf("%+v", r)
	}
}
