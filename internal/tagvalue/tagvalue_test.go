package tagvalue

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/whymail/whymail/checks"
)

// brief renders pieces compactly: "name=value" for tags, "!text" for a
// piece without "=", "<>" for an empty one, each with its index.
func brief(ps []Piece) string {
	var out []string
	for _, p := range ps {
		switch {
		case p.Empty():
			out = append(out, fmt.Sprintf("%d<>", p.Index))
		case !p.IsTag:
			out = append(out, fmt.Sprintf("%d!%s", p.Index, p.Text))
		default:
			out = append(out, fmt.Sprintf("%d[%s]=[%s]", p.Index, p.Name, p.Value))
		}
	}
	return strings.Join(out, " ")
}

func TestSplit(t *testing.T) {
	tests := []struct {
		sx       Syntax
		in, want string
	}{
		{DKIM, "", ""},
		{DKIM, ";", "0<>"},
		{DKIM, "v=DKIM1; p=abc", "0[v]=[DKIM1] 1[p]=[abc]"},
		{DKIM, "v=DKIM1; p=abc;", "0[v]=[DKIM1] 1[p]=[abc]"},
		{DKIM, "v=DKIM1; p=abc; ", "0[v]=[DKIM1] 1[p]=[abc]"},
		{DKIM, "v=DKIM1;; p=abc", "0[v]=[DKIM1] 1<> 2[p]=[abc]"},
		{DKIM, " v = DKIM1 ;\r\n\tp =\r\n a b", "0[v]=[DKIM1] 1[p]=[a b]"},
		{DKIM, "v=DKIM1; junk; k=", "0[v]=[DKIM1] 1!junk 2[k]=[]"},
		{DKIM, "a=b=c", "0[a]=[b=c]"},
		{DKIM, "p=\v", "0[p]=[\v]"},
		{DMARC, "p=\v", "0[p]=[]"},
		{DMARC, "v=DMARC1;\u00a0p = reject\u00a0;", "0[v]=[DMARC1] 1[p]=[reject]"},
		{STS, "v=STSv1 ; id =abc; x= y", "0[v]=[STSv1] 1[id ]=[abc] 2[x]=[ y]"},
		{STS, "v=STSv1;\r\nid=1", "0[v]=[STSv1] 1[\r\nid]=[1]"},
		{STS, "v=STSv1;;", "0[v]=[STSv1] 1<>"},
	}
	for _, tt := range tests {
		if got := brief(tt.sx.Split(tt.in)); got != tt.want {
			t.Errorf("Split(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Raw keeps what was written.
	ps := DKIM.Split(" a = 1 ;b=2")
	if ps[0].Raw != " a = 1 " || ps[0].Text != "a = 1" || ps[1].Raw != "b=2" {
		t.Errorf("Raw/Text: %+v", ps)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		s                   string
		name, ext, extValue bool
	}{
		{"v", true, true, true},
		{"rua", true, true, true},
		{"a_1", true, true, true},
		{"_a", false, false, true},
		{"1a", false, true, true},
		{"ext.x-1", false, true, true},
		{"a-b", false, true, true},
		{"", false, false, false},
		{strings.Repeat("a", 32), true, true, true},
		{strings.Repeat("a", 33), true, false, true},
		{"a b", false, false, false},
		{"a=b", false, false, false},
		{"a;b", false, false, false},
		{"é", false, false, false},
		{"x\x7f", false, false, false},
	}
	for _, tt := range tests {
		if got := IsName(tt.s); got != tt.name {
			t.Errorf("IsName(%q) = %v", tt.s, got)
		}
		if got := IsExtName(tt.s); got != tt.ext {
			t.Errorf("IsExtName(%q) = %v", tt.s, got)
		}
		if got := IsExtValue(tt.s); got != tt.extValue {
			t.Errorf("IsExtValue(%q) = %v", tt.s, got)
		}
	}
}

func TestParseSTS(t *testing.T) {
	// field knows id= (one, alphanumeric) as MTA-STS's ParseRecord does.
	tests := []struct {
		in   string
		id   string
		ext  map[string]string
		err  string
		errs string // the whole message, when it matters
	}{
		{in: "v=STSv1; id=abc", id: "abc"},
		{in: "v=STSv1 ;id=abc;", id: "abc"},
		{in: "v=STSv1; id=abc; ext.x-1=val; y=1", id: "abc", ext: map[string]string{"ext.x-1": "val", "y": "1"}},
		{in: "v=STSv1", id: ""},
		{in: "", errs: `record must start with "v=STSv1;" (case-sensitive), not ""`},
		{in: "  ", errs: `record must start with "v=STSv1;" (case-sensitive), not "  "`},
		{in: " v=STSv1; id=a", err: "must start with"},
		{in: "v=stsv1; id=a", err: "must start with"},
		{in: "v=STSv1; id=a;;", errs: `empty field between ";" separators`},
		{in: "v=STSv1;; id=a", err: "empty field"},
		{in: "v=STSv1; id=a; junk", errs: `field "junk" is not name=value`},
		{in: "v=STSv1; v=STSv1", errs: "v= appears twice"},
		{in: "v=STSv1; id =a", errs: `field name "id " is not valid (letters, digits, _ - . up to 32)`},
		{in: "v=STSv1; id=a; x=has space", errs: `field x has an invalid value "has space" (no spaces, "=" or ";")`},
		{in: "v=STSv1; id=a; x=", err: "invalid value"},
		{in: "v=STSv1; id=a-b", errs: "bad id"},
	}
	for _, tt := range tests {
		id := ""
		ext, err := ParseSTS(tt.in, "v=STSv1", func(name, value string) (bool, error) {
			if name != "id" {
				return false, nil
			}
			if strings.Contains(value, "-") {
				return true, fmt.Errorf("bad id")
			}
			id = value
			return true, nil
		})
		want := tt.err + tt.errs
		switch {
		case want == "" && err != nil:
			t.Errorf("ParseSTS(%q): %v", tt.in, err)
		case want != "" && err == nil:
			t.Errorf("ParseSTS(%q) passed, want %q", tt.in, want)
		case tt.err != "" && !strings.Contains(err.Error(), tt.err), tt.errs != "" && err.Error() != tt.errs:
			t.Errorf("ParseSTS(%q): %v, want %q", tt.in, err, want)
		case want == "" && (id != tt.id || !reflect.DeepEqual(ext, tt.ext)):
			t.Errorf("ParseSTS(%q) = id %q ext %v, want %q %v", tt.in, id, ext, tt.id, tt.ext)
		}
	}
}

func TestProblemClip(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"", checks.Error, "", "whole record"}, "whole record"},
		{Problem{"", checks.Error, "p", "not base64"}, "p=: not base64"},
		{Problem{"", checks.Warning, "t", "t=y: testing"}, "t=y: testing"},
		{Problemf(checks.Info, "pct", "pct=%d: %s", 50, "half"), "pct=50: half"},
		{Problemf(checks.Info, "pct", "%d%%", 50), "pct=: 50%"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
	if got := Clip(strings.Repeat("x", 60)); got != strings.Repeat("x", 60) {
		t.Errorf("Clip(60 x) = %q", got)
	}
	if got := Clip(strings.Repeat("x", 61)); got != strings.Repeat("x", 57)+"..." {
		t.Errorf("Clip(61 x) = %q", got)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"v=DKIM1; k=rsa; p=MIIB", "v=DMARC1;p=reject;;", "v=STSv1; id=1;", " a = b ; c", ";", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sx := range []Syntax{DKIM, DMARC, STS} {
			ps := sx.Split(s)
			raws := make([]string, len(ps))
			for i, p := range ps {
				raws[i] = p.Raw
				switch {
				case p.Index != i:
					t.Fatalf("%q: piece %d has index %d", s, i, p.Index)
				case p.Text != sx.Trim(p.Raw):
					t.Fatalf("%q: piece %d text %q is not the trimmed %q", s, i, p.Text, p.Raw)
				case strings.Contains(p.Raw, ";"):
					t.Fatalf("%q: piece %q holds a separator", s, p.Raw)
				case p.IsTag != strings.Contains(p.Text, "="), strings.Contains(p.Name, "="):
					t.Fatalf("%q: piece %+v split wrongly", s, p)
				case !p.IsTag && (p.Name != "" || p.Value != ""):
					t.Fatalf("%q: piece %+v without = has a name or value", s, p)
				}
			}
			// Only an empty last piece may be left out.
			joined := strings.Join(raws, ";")
			if joined != s {
				rest, ok := strings.CutPrefix(s, joined)
				if len(ps) > 0 {
					rest, ok = strings.CutPrefix(rest, ";")
				}
				if !ok || sx.Trim(rest) != "" || strings.Contains(rest, ";") {
					t.Fatalf("%q: pieces %q lose %q", s, raws, rest)
				}
			}
		}
		ext, err := ParseSTS(s, "v=STSv1", func(string, string) (bool, error) { return false, nil })
		if err == nil {
			if !strings.HasPrefix(s, "v=STSv1") {
				t.Fatalf("ParseSTS accepted %q without the version first", s)
			}
			for n, v := range ext {
				if !IsExtName(n) || !IsExtValue(v) {
					t.Fatalf("ParseSTS(%q) kept invalid extension %q=%q", s, n, v)
				}
			}
		}
	})
}
