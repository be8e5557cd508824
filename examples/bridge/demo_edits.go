package main

import (
	"strings"
)

// contactSet shows an edit with its confirmation: a preview (before →
// after), Confirm, and the contact as HighLevel now holds it.
func (d *demo) contactSet() error {
	d.tr.heading("Change a contact's city: a preview first, with Confirm and Cancel for alice only")
	if _, err := d.slash(d.alice, d.crm, `/ghl contact set ada@example.com city="New York" website=https://ada.example.com`); err != nil {
		return err
	}
	d.tr.flush()
	preview := d.lastPost(d.crm)
	d.tr.heading("alice clicks Confirm")
	posts := len(d.mm.Posts(d.crm.ID))
	if _, err := d.mm.As(d.alice.ID).ClickButton(d.ctx, preview.ID, "confirm"); err != nil {
		return err
	}
	if err := d.settle(); err != nil {
		return err
	}
	updated, _ := d.mm.Post(preview.ID)
	d.tr.printPost(d.crm.Name, updated, " (the preview, updated in place)")
	c, _ := d.hl.Contact(d.ada.ID)
	d.tr.note("HighLevel now holds city %q; its ContactUpdate webhook was recognised as the bridge's own change.", c.City)
	n := len(d.mm.Posts(d.crm.ID))
	return d.expect(c.City == "New York" && strings.Contains(updated.Message, "changed 2 fields") && n == posts, "contact set: city %q, post %q, %d new posts", c.City, updated.Message, n-posts)
}
