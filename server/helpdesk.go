package server

import "net/http"

// Helpdesk holds the shared secrets of the helpdesk apps, each from the
// app's own settings; an app whose secret is empty is not served.
type Helpdesk struct {
	ZendeskSecret, HelpScoutSecret, IntercomSecret []byte
}

func (s *Server) zendesk(w http.ResponseWriter, r *http.Request)   { s.notConfigured(w, "Zendesk") }
func (s *Server) helpScout(w http.ResponseWriter, r *http.Request) { s.notConfigured(w, "Help Scout") }
func (s *Server) intercom(w http.ResponseWriter, r *http.Request)  { s.notConfigured(w, "Intercom") }

func (s *Server) notConfigured(w http.ResponseWriter, app string) {
	writeError(w, errorf(http.StatusNotFound, CodeNotFound, "", "the %s app is not configured on this server", app))
}
