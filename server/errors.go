package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error codes: stable, documented in docs/api.md; a client branches on the
// code, a person reads the message.
const (
	CodeInvalidJSON      = "invalid_json"           // the body is not one JSON object
	CodeUnknownField     = "unknown_field"          // a field the API does not have (a file, a DSN, a server...)
	CodeMissingField     = "missing_field"          // a required field is empty
	CodeInvalidField     = "invalid_field"          // a field's value is malformed
	CodeTooLarge         = "body_too_large"         // the body is over the limit
	CodeUnsupportedMedia = "unsupported_media_type" // a body that is not JSON (or, for /v1/bounce, not a message)
	CodeInvalidMessage   = "invalid_message"        // /v1/bounce: the body is not an email message
	CodeUnauthorized     = "unauthorized"           // no credentials, or wrong ones
	CodeBadSignature     = "bad_signature"          // a helpdesk request whose signature does not verify
	CodeBusy             = "busy"                   // too many diagnoses in flight: retry after Retry-After
	CodeDeskInput        = "desk_input"             // the desk's own evidence is unreadable (a source's bad data)
	CodeNotFound         = "not_found"              // no such endpoint
	CodeMethodNotAllowed = "method_not_allowed"     // the endpoint takes another method
	CodeInternal         = "internal"               // a bug
)

// apiError is an error answered as {"error": {"code", "message", "field"}}.
type apiError struct {
	status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func errorf(status int, code, field, format string, args ...any) *apiError {
	return &apiError{status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(struct {
		Error *apiError `json:"error"`
	}{e})
}

// allowed names the fields of each request, for the message refusing others.
const ticketFields = "address, user, at, sender, lang"

// decodeJSON decodes exactly one JSON object of the fields of v from body.
// A field v does not have is refused by name: a request never names a file,
// a DSN, a URL or a DNS server; those come from the desk's config.
func decodeJSON(body []byte, v any, fields string) *apiError {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return errorf(http.StatusBadRequest, CodeUnknownField, name,
				"unknown field %q: a request has only %s; sources, files and DNS come from the server's config", name, fields)
		case errors.As(err, &typ):
			return errorf(http.StatusBadRequest, CodeInvalidField, typ.Field,
				"field %q must be a %s, not a JSON %s", typ.Field, jsonKind(typ.Type.Kind().String()), typ.Value)
		case errors.As(err, &syn):
			return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the body is not valid JSON at byte %d: %v", syn.Offset, err)
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the body is empty: want a JSON object with %s", fields)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the body ends inside a JSON value")
		}
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the body is not a JSON object: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, CodeInvalidJSON, "", "the body has more than one JSON value: want one object")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	}
	return k
}
