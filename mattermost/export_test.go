package mattermost

// Test helpers shared with the package's external tests.
var (
	TamperMAC   = tamperMAC
	Respellings = respellings
)
