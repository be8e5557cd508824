package ghltest

import (
	"net/http"
	"slices"
)

// contactFor loads the contact of the contactId path parameter, checking
// it belongs to the token's location. It writes 404 or 403 when not.
func (s *Server) contactFor(c *call) (*contactRec, bool) {
	rec, ok := s.contacts[c.param("contactId")]
	if !ok {
		c.notFound("Contact")
		return nil, false
	}
	if rec.c.LocationID != c.tok.locationID {
		c.forbidden()
		return nil, false
	}
	return rec, true
}

// contactBody starts a handler that writes to a contact's sub-resource:
// the contact of the path (see contactFor), then the body (see readBody).
func (s *Server) contactBody(c *call, allowed ...string) (*contactRec, *fields, bool) {
	rec, ok := s.contactFor(c)
	if !ok {
		return nil, nil, false
	}
	f, ok := c.readBody(allowed...)
	return rec, f, ok
}

// mapEach returns f of each item, in order: a contact's sub-resources
// rendered for a list answer, or copied for a read accessor.
func mapEach[T, W any](items []*T, f func(*T) W) []W {
	out := make([]W, len(items))
	for i, it := range items {
		out[i] = f(it)
	}
	return out
}

type taskWire struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Body       string `json:"body,omitempty"`
	AssignedTo string `json:"assignedTo,omitempty"`
	DueDate    string `json:"dueDate"`
	Completed  bool   `json:"completed"`
	ContactID  string `json:"contactId"`
}

func renderTask(t *Task) taskWire {
	return taskWire{
		ID:         t.ID,
		Title:      t.Title,
		Body:       t.Body,
		AssignedTo: t.AssignedTo,
		DueDate:    isoTime(t.DueDate),
		Completed:  t.Completed,
		ContactID:  t.ContactID,
	}
}

func findTask(rec *contactRec, id string) (int, *Task) {
	i := slices.IndexFunc(rec.tasks, func(t *Task) bool { return t.ID == id })
	if i < 0 {
		return -1, nil
	}
	return i, rec.tasks[i]
}

func (s *Server) listTasks(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	c.json(http.StatusOK, map[string]any{"tasks": mapEach(rec.tasks, renderTask)})
}

var taskFields = []string{"title", "body", "dueDate", "completed", "assignedTo"}

func (s *Server) createTask(c *call) {
	rec, f, ok := s.contactBody(c, taskFields...)
	if !ok {
		return
	}
	title, _ := f.str("title", true, false)
	body, _ := f.str("body", false, false)
	due, _ := f.date("dueDate", true)
	completed, _ := f.boolean("completed", true)
	assigned, _ := f.str("assignedTo", false, false)
	if !c.valid(f) {
		return
	}
	t := &Task{
		ID:         s.newID(),
		ContactID:  rec.c.ID,
		Title:      title,
		Body:       body,
		AssignedTo: assigned,
		DueDate:    due,
		Completed:  completed,
		DateAdded:  s.clock(),
	}
	rec.tasks = append(rec.tasks, t)
	s.emitTask(evTaskCreate, rec, t)
	c.json(http.StatusCreated, map[string]any{"task": renderTask(t)})
}

// taskFor loads the task of the taskId parameter under the contact.
func (s *Server) taskFor(c *call) (*contactRec, int, *Task, bool) {
	rec, ok := s.contactFor(c)
	if !ok {
		return nil, 0, nil, false
	}
	i, t := findTask(rec, c.param("taskId"))
	if t == nil {
		c.notFound("Task")
		return nil, 0, nil, false
	}
	return rec, i, t, true
}

func (s *Server) getTask(c *call) {
	if _, _, t, ok := s.taskFor(c); ok {
		c.json(http.StatusOK, map[string]any{"task": renderTask(t)})
	}
}

func (s *Server) updateTask(c *call) {
	rec, _, t, ok := s.taskFor(c)
	if !ok {
		return
	}
	f, ok := c.readBody(taskFields...)
	if !ok {
		return
	}
	title, hasTitle := f.str("title", false, false)
	body, hasBody := f.str("body", false, false)
	due, hasDue := f.date("dueDate", false)
	completed, hasCompleted := f.boolean("completed", false)
	assigned, hasAssigned := f.str("assignedTo", false, false)
	if hasTitle && title == "" {
		f.errs = append(f.errs, "title should not be empty")
	}
	if !c.valid(f) {
		return
	}
	wasCompleted := t.Completed
	if hasTitle {
		t.Title = title
	}
	if hasBody {
		t.Body = body
	}
	if hasDue {
		t.DueDate = due
	}
	if hasCompleted {
		t.Completed = completed
	}
	if hasAssigned {
		t.AssignedTo = assigned
	}
	if t.Completed && !wasCompleted {
		s.emitTask(evTaskComplete, rec, t)
	}
	c.json(http.StatusOK, map[string]any{"task": renderTask(t)})
}

func (s *Server) completeTask(c *call) {
	rec, _, t, ok := s.taskFor(c)
	if !ok {
		return
	}
	f, ok := c.readBody("completed")
	if !ok {
		return
	}
	completed, _ := f.boolean("completed", true)
	if !c.valid(f) {
		return
	}
	was := t.Completed
	t.Completed = completed
	if completed && !was {
		s.emitTask(evTaskComplete, rec, t)
	}
	c.json(http.StatusOK, map[string]any{"task": renderTask(t)})
}

func (s *Server) deleteTask(c *call) {
	rec, i, t, ok := s.taskFor(c)
	if !ok {
		return
	}
	rec.tasks = slices.Delete(rec.tasks, i, i+1)
	s.emitTask(evTaskDelete, rec, t)
	c.json(http.StatusOK, map[string]any{"succeded": true})
}

type noteWire struct {
	ID        string `json:"id"`
	Body      string `json:"body"`
	UserID    string `json:"userId,omitempty"`
	DateAdded string `json:"dateAdded"`
	ContactID string `json:"contactId"`
	Title     string `json:"title,omitempty"`
	Color     string `json:"color,omitempty"`
	Pinned    bool   `json:"pinned"`
}

func renderNote(n *Note) noteWire {
	return noteWire{
		ID:        n.ID,
		Body:      n.Body,
		UserID:    n.UserID,
		DateAdded: isoTime(n.DateAdded),
		ContactID: n.ContactID,
		Title:     n.Title,
		Color:     n.Color,
		Pinned:    n.Pinned,
	}
}

var noteFields = []string{"userId", "body", "title", "color", "pinned"}

func (s *Server) listNotes(c *call) {
	rec, ok := s.contactFor(c)
	if !ok {
		return
	}
	c.json(http.StatusOK, map[string]any{"notes": mapEach(rec.notes, renderNote)})
}

func (s *Server) createNote(c *call) {
	rec, f, ok := s.contactBody(c, noteFields...)
	if !ok {
		return
	}
	body, _ := f.str("body", true, false)
	userID, _ := f.str("userId", false, false)
	title, _ := f.str("title", false, false)
	color, _ := f.str("color", false, false)
	pinned, _ := f.boolean("pinned", false)
	if !c.valid(f) {
		return
	}
	n := &Note{
		ID:        s.newID(),
		ContactID: rec.c.ID,
		Body:      body,
		UserID:    userID,
		Title:     title,
		Color:     color,
		Pinned:    pinned,
		DateAdded: s.clock(),
	}
	rec.notes = append(rec.notes, n)
	s.emitNote(evNoteCreate, rec, n)
	c.json(http.StatusCreated, map[string]any{"note": renderNote(n)})
}

func (s *Server) noteFor(c *call) (*contactRec, int, *Note, bool) {
	rec, ok := s.contactFor(c)
	if !ok {
		return nil, 0, nil, false
	}
	id := c.param("id")
	i := slices.IndexFunc(rec.notes, func(n *Note) bool { return n.ID == id })
	if i < 0 {
		c.notFound("Note")
		return nil, 0, nil, false
	}
	return rec, i, rec.notes[i], true
}

func (s *Server) getNote(c *call) {
	if _, _, n, ok := s.noteFor(c); ok {
		c.json(http.StatusOK, map[string]any{"note": renderNote(n)})
	}
}

func (s *Server) updateNote(c *call) {
	rec, _, n, ok := s.noteFor(c)
	if !ok {
		return
	}
	f, ok := c.readBody(noteFields...)
	if !ok {
		return
	}
	body, hasBody := f.str("body", false, false)
	userID, hasUser := f.str("userId", false, false)
	title, hasTitle := f.str("title", false, false)
	color, hasColor := f.str("color", false, false)
	pinned, hasPinned := f.boolean("pinned", false)
	if hasBody && body == "" {
		f.errs = append(f.errs, "body should not be empty")
	}
	if !c.valid(f) {
		return
	}
	if hasBody {
		n.Body = body
	}
	if hasUser {
		n.UserID = userID
	}
	if hasTitle {
		n.Title = title
	}
	if hasColor {
		n.Color = color
	}
	if hasPinned {
		n.Pinned = pinned
	}
	s.emitNote(evNoteUpdate, rec, n)
	c.json(http.StatusOK, map[string]any{"note": renderNote(n)})
}

func (s *Server) deleteNote(c *call) {
	rec, i, n, ok := s.noteFor(c)
	if !ok {
		return
	}
	rec.notes = slices.Delete(rec.notes, i, i+1)
	s.emitNote(evNoteDelete, rec, n)
	c.json(http.StatusOK, map[string]any{"succeded": true})
}
