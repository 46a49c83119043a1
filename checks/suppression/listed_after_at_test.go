package suppression

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/whymail/whymail/checks"
	"github.com/whymail/whymail/internal/checktest"
)

// An address put on the list after --at was not suppressed when the mail
// was sent: the listing cannot confirm suppression for that mail.
func TestListedAfterAt(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "later.csv")
	os.WriteFile(name, []byte("email,reason,created_at\nbob@example.com,hard bounce,2026-11-23T09:00:00Z\n"), 0o644)
	tk := ticket("bob@example.com")
	tk.Sources.Suppressions = checktest.Streams(name)
	res := checktest.Run(t, nil, tk, Check)
	if v := checktest.Best(res, checks.Suppressed); v == checks.Confirmed {
		t.Errorf("listed a day after --at, verdict %v; want not confirmed\n%v", v, checktest.Messages(res, "suppression"))
	}
}
