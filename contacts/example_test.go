package contacts_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ghlkit/ghl"
	"github.com/ghlkit/ghl/contacts"
	"github.com/ghlkit/ghl/ghltest"
)

// exampleService starts a fake HighLevel and returns a Service on it, as a
// location token for "loc1" (also the client's default location).
func exampleService() (*contacts.Service, *ghltest.Server) {
	srv := ghltest.NewServer()
	srv.AddToken("example-token", "loc1", ghltest.ScopeContactsReadOnly, ghltest.ScopeContactsWrite)
	client, err := ghl.NewClient(
		ghl.WithToken("example-token"),
		ghl.WithBaseURL(srv.URL), // omit to talk to HighLevel itself
		ghl.WithLocationID("loc1"),
	)
	if err != nil {
		log.Fatal(err)
	}
	return contacts.New(client), srv
}

func ExampleService_Get() {
	svc, srv := exampleService()
	defer srv.Close()
	stored := srv.AddContact(ghltest.Contact{
		LocationID: "loc1", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", Tags: []string{"vip"},
	})

	c, err := svc.Get(context.Background(), stored.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.FirstName, c.LastName, c.Email, c.Tags)

	_, err = svc.Get(context.Background(), "no-such-contact")
	fmt.Println("missing contact is not found:", ghl.IsNotFound(err))
	// Output:
	// Ada Lovelace ada@example.com [vip]
	// missing contact is not found: true
}

func ExampleService_Search() {
	svc, srv := exampleService()
	defer srv.Close()
	srv.AddContacts(
		ghltest.Contact{LocationID: "loc1", FirstName: "Ada", Email: "ada@example.com", Tags: []string{"vip"}},
		ghltest.Contact{LocationID: "loc1", FirstName: "Grace", Email: "grace@example.com"},
		ghltest.Contact{LocationID: "loc1", FirstName: "Katherine", Email: "katherine@example.com", Tags: []string{"vip"}},
	)

	res, err := svc.Search(context.Background(), contacts.SearchParams{
		Filters: []contacts.Filter{contacts.Where("tags", contacts.OpContains, "vip")},
		Sort:    []contacts.Sort{{Field: "firstNameLowerCase", Direction: contacts.Asc}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("total:", res.Total)
	for _, c := range res.Contacts {
		fmt.Println(c.FirstName, c.Email)
	}
	// Output:
	// total: 2
	// Ada ada@example.com
	// Katherine katherine@example.com
}

func ExampleService_SearchAll() {
	svc, srv := exampleService()
	defer srv.Close()
	srv.SeedContacts("loc1", 1234)

	// SearchAll fetches page after page (here 500 contacts each) as the loop
	// asks for them; breaking out of the loop stops the fetching.
	n := 0
	for c, err := range svc.SearchAll(context.Background(), contacts.SearchParams{PageLimit: 500}) {
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			fmt.Println("newest:", c.FirstName, c.Email)
		}
		n++
	}
	fmt.Println("contacts:", n)
	// Output:
	// newest: First1234 contact1234@example.com
	// contacts: 1234
}

func ExampleService_Update() {
	svc, srv := exampleService()
	defer srv.Close()
	stored := srv.AddContact(ghltest.Contact{
		LocationID: "loc1", FirstName: "Ada", City: "London", Email: "ada@example.com", Tags: []string{"vip"},
	})

	// Unset fields stay as they are; Set sends a value, Null clears one.
	c, err := svc.Update(context.Background(), stored.ID, contacts.UpdateParams{
		FirstName: ghl.Set("Augusta Ada"),
		City:      ghl.Null[string](),
		Tags:      ghl.Set([]string{}),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s | city %q | %s | tags %v\n", c.FirstName, c.City, c.Email, c.Tags)
	// Output:
	// Augusta Ada | city "" | ada@example.com | tags []
}

func ExampleService_FindByEmail() {
	svc, srv := exampleService()
	defer srv.Close()
	srv.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Grace", Email: "grace@example.com"})

	c, err := svc.FindByEmail(context.Background(), "grace@example.com")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.FirstName)

	_, err = svc.FindByEmail(context.Background(), "nobody@example.com")
	fmt.Println("nobody:", ghl.IsNotFound(err))
	// Output:
	// Grace
	// nobody: true
}
