package checks

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	a := &Check{Name: "a"}
	b := &Check{Name: "b"}
	c := &Check{Name: "c"}
	set := []*Check{a, b, c}
	tests := []struct {
		names   []string
		want    string // names of the result, or the error's start
		wantErr bool
	}{
		{[]string{"c", "a"}, "a,c", false},
		{[]string{" B ", "b"}, "b", false},
		{nil, "", false},
		{[]string{"a", "spf"}, `no check named "spf": want a, b, c`, true},
	}
	for _, tt := range tests {
		got, err := Select(set, tt.names)
		if tt.wantErr {
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Select(%q) error = %v, want %q", tt.names, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Select(%q): %v", tt.names, err)
		}
		if s := strings.Join(Names(got), ","); s != tt.want {
			t.Errorf("Select(%q) = %s, want %s", tt.names, s, tt.want)
		}
	}
}
