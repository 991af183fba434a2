package accounts

import (
	"context"
	"fmt"
	"time"
)

func (s *Store) suspendedKey(id string) string { return s.prefix + "account:suspended:" + id }

// Suspend marks any account (provider or staff) suspended, for the support team; a
// suspended sponsor's staff lose access with them.
func (s *Store) Suspend(ctx context.Context, id string) error {
	if err := s.rdb.Set(ctx, s.suspendedKey(id), time.Now().UTC().Format(time.RFC3339), 0).Err(); err != nil {
		return fmt.Errorf("accounts: suspend %s: %w", id, err)
	}
	return nil
}

// Reinstate lifts an account suspension.
func (s *Store) Reinstate(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.suspendedKey(id)).Err(); err != nil {
		return fmt.Errorf("accounts: reinstate %s: %w", id, err)
	}
	return nil
}

// Standing returns Suspended when the account id is suspended, else Active.
func (s *Store) Standing(ctx context.Context, id string) (string, error) {
	n, err := s.rdb.Exists(ctx, s.suspendedKey(id)).Result()
	if err != nil {
		return "", fmt.Errorf("accounts: standing of %s: %w", id, err)
	}
	if n > 0 {
		return Suspended, nil
	}
	return Active, nil
}
