package storage

import (
	"context"

	"github.com/containerd/containerd/v2/core/metadata"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	bolt "go.etcd.io/bbolt"
)

// namespaceStore adapts metadata.NewNamespaceStore, which works inside one
// bolt transaction, to a namespaces.Store that opens its own transactions.
// Writes go through (*metadata.DB).Update so that GC bookkeeping and mutation
// callbacks see them.
type namespaceStore struct {
	db *metadata.DB
}

var _ namespaces.Store = namespaceStore{}

func (s namespaceStore) view(fn func(namespaces.Store) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(metadata.NewNamespaceStore(tx)) })
}

func (s namespaceStore) update(fn func(namespaces.Store) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(metadata.NewNamespaceStore(tx)) })
}

func (s namespaceStore) Create(ctx context.Context, namespace string, labels map[string]string) error {
	return s.update(func(st namespaces.Store) error { return st.Create(ctx, namespace, labels) })
}

func (s namespaceStore) Labels(ctx context.Context, namespace string) (map[string]string, error) {
	var labels map[string]string
	err := s.view(func(st namespaces.Store) error {
		var err error
		labels, err = st.Labels(ctx, namespace)
		return err
	})
	return labels, err
}

func (s namespaceStore) SetLabel(ctx context.Context, namespace, key, value string) error {
	return s.update(func(st namespaces.Store) error { return st.SetLabel(ctx, namespace, key, value) })
}

func (s namespaceStore) List(ctx context.Context) ([]string, error) {
	var list []string
	err := s.view(func(st namespaces.Store) error {
		var err error
		list, err = st.List(ctx)
		return err
	})
	return list, err
}

func (s namespaceStore) Delete(ctx context.Context, namespace string, opts ...namespaces.DeleteOpts) error {
	return s.update(func(st namespaces.Store) error { return st.Delete(ctx, namespace, opts...) })
}
