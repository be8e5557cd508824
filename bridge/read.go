package bridge

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/mattermost"
)

// Reading the rest: /ghl search, appointments and business.

// searchPage is how many contacts one search shows: a screenful.
const searchPage = 10

// businessPage is how many contacts of a business one answer shows.
const businessPage = 25

// contactLine is one contact in a list: name, email, phone, ID.
func (b *Bridge) contactLine(c *contacts.Contact) string {
	parts := []string{"**" + b.contactLink(c) + "**"}
	if c.Email != "" {
		parts = append(parts, mattermost.EscapeInline(c.Email))
	}
	if c.Phone != "" {
		parts = append(parts, mattermost.EscapeInline(c.Phone))
	}
	if c.CompanyName != "" {
		parts = append(parts, mattermost.EscapeInline(c.CompanyName))
	}
	parts = append(parts, code(c.ID))
	return "- " + strings.Join(parts, " · ")
}

func (b *Bridge) cmdSearch(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	q := strings.TrimSpace(inv.Arg("text"))
	if len([]rune(q)) < 2 {
		return nil, mattermost.UserErrorf("Search for at least two characters: `%s search ada`.", b.trigger)
	}
	res, err := b.svc(ctx).contacts.Search(ctx, contacts.SearchParams{Query: q, PageLimit: searchPage})
	if err := b.hlCall("Searching the contacts", err); err != nil {
		return nil, err
	}
	if len(res.Contacts) == 0 {
		return mattermost.Ephemeral("No contact matches " + code(q) + "."), nil
	}
	lines := []string{fmt.Sprintf("**Contacts matching %s** · %s", code(q), plural(res.Total, "match", "matches"))}
	for i := range res.Contacts {
		b.names.put(res.Contacts[i].ID, mattermost.ContactName(&res.Contacts[i]))
		lines = append(lines, b.contactLine(&res.Contacts[i]))
	}
	if res.Total > len(res.Contacts) {
		lines = append(lines, fmt.Sprintf("_Showing the first %d of %d: add words to narrow the search._", len(res.Contacts), res.Total))
	}
	return mattermost.Ephemeral(strings.Join(lines, "\n")), nil
}

func (b *Bridge) cmdAppointments(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	c, err := b.resolveContact(ctx, inv.Arg("contact"))
	if err != nil {
		return nil, err
	}
	list, err := b.svc(ctx).contacts.ListAppointments(ctx, c.ID)
	if err := b.hlCall("Listing the appointments", err); err != nil {
		return nil, err
	}
	return b.renderAppointments(c, list).CommandResponse(mattermost.ResponseEphemeral), nil
}

// renderAppointments lists a contact's appointments, soonest first, the
// ones still to come before the past ones.
func (b *Bridge) renderAppointments(c *contacts.Contact, list []contacts.Appointment) mattermost.Message {
	head := "**Appointments of " + b.contactLink(c) + "**"
	if len(list) == 0 {
		return mattermost.Message{Text: head + "\n\nNo appointments."}
	}
	now := b.now()
	sorted := slices.Clone(list)
	slices.SortStableFunc(sorted, func(x, y contacts.Appointment) int {
		xp, yp := x.StartTime.Before(now), y.StartTime.Before(now)
		if xp != yp {
			if xp {
				return 1
			}
			return -1
		}
		if xp { // past: latest first
			return y.StartTime.Compare(x.StartTime)
		}
		return x.StartTime.Compare(y.StartTime)
	})
	lines := []string{head + " · " + plural(len(list), "appointment", "appointments")}
	for _, a := range sorted {
		when := "no time"
		if !a.StartTime.IsZero() {
			when = a.StartTime.In(b.cfg.Location).Format("Mon 2 Jan 2006 15:04 MST")
			if !a.EndTime.IsZero() {
				when += "–" + a.EndTime.In(b.cfg.Location).Format("15:04")
			}
		}
		line := "- " + when + " · **" + mattermost.EscapeInline(cmp.Or(a.Title, "(untitled)")) + "**"
		if s := cmp.Or(a.AppointmentStatus, a.Status); s != "" {
			line += " · " + mattermost.EscapeInline(s)
		}
		if a.Address != "" {
			line += " · " + mattermost.EscapeInline(a.Address)
		}
		lines = append(lines, line+" · "+code(a.ID))
	}
	return mattermost.Message{Text: strings.Join(lines, "\n")}
}

func (b *Bridge) cmdBusiness(ctx context.Context, inv *mattermost.Invocation) (*mattermost.CommandResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	id := strings.TrimSpace(inv.Arg("businessId"))
	if !plausibleID(id) {
		return nil, mattermost.UserErrorf("%s is not a business ID.", code(id))
	}
	res, err := b.svc(ctx).contacts.ListByBusiness(ctx, id, contacts.BusinessListOptions{Limit: businessPage})
	if err := b.hlCall("Listing the business's contacts", err); err != nil {
		return nil, err
	}
	if len(res.Contacts) == 0 {
		return mattermost.Ephemeral("No contacts in business " + code(id) + "."), nil
	}
	total := max(res.Count, len(res.Contacts))
	lines := []string{fmt.Sprintf("**Contacts of business %s** · %s", code(id), plural(total, "contact", "contacts"))}
	for i := range res.Contacts {
		b.names.put(res.Contacts[i].ID, mattermost.ContactName(&res.Contacts[i]))
		lines = append(lines, b.contactLine(&res.Contacts[i]))
	}
	if total > len(res.Contacts) {
		lines = append(lines, fmt.Sprintf("_Showing the first %d of %d; use `%s search` to find one._", len(res.Contacts), total, b.trigger))
	}
	return mattermost.Ephemeral(strings.Join(lines, "\n")), nil
}
