package upstream

// CircuitOpen reports whether a circuit breaker toward the EHR (the data reads' or the fact
// lookups') is open, failing requests fast.
func (c *Client) CircuitOpen() bool {
	for _, b := range c.breakers {
		b.mu.Lock()
		open := b.failures >= b.threshold && b.now().Before(b.openUntil)
		b.mu.Unlock()
		if open {
			return true
		}
	}
	return false
}
