package ghltest_test

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ghlkit/ghl/ghltest"
)

func Example() {
	srv := ghltest.NewServer()
	defer srv.Close()
	srv.AddToken("secret-token", "loc1", ghltest.ScopeContactsReadOnly)
	c := srv.AddContact(ghltest.Contact{LocationID: "loc1", FirstName: "Ada", LastName: "Lovelace"})
	srv.AddTask(ghltest.Task{ContactID: c.ID, Title: "Call back", DueDate: time.Date(2025, 1, 2, 15, 0, 0, 0, time.UTC)})

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/contacts/"+c.ID+"/tasks", nil)
	req.Header.Set("Authorization", "Bearer secret-token")
	req.Header.Set("Version", ghltest.APIVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(c.ID)
	fmt.Print(string(body))
	// Output:
	// 200 OK
	// 9G14R5yGiSX9VaA1HJWP
	// {"tasks":[{"id":"RlvIVr5KkFyBFIivUQmN","title":"Call back","dueDate":"2025-01-02T15:00:00.000Z","completed":false,"contactId":"9G14R5yGiSX9VaA1HJWP"}]}
}
