package server

import (
	"io"
	"log/slog"
)

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
