package oauth

// KeyStates is how many keys' states a holds in memory.
func KeyStates(a *App) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.keys)
}
