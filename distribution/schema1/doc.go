// Package schema1 reads Docker image manifest v2, schema 1 (signed
// "prettyjws" and unsigned) and converts it into an OCI image in a
// containerd content store the way dockerd ≤ 26 (graph-driver mode) did:
// same layers, same diff IDs and chain ID, same image config layout.
//
// containerd ≥ 2.1 removed schema 1: v2.4's client.Pull, fetch handler and
// fetcher refuse it. The pull handles it itself:
//
//  1. Resolve with a containerd docker resolver whose
//     ResolverOptions.Headers["Accept"] is ResolveAccept (containerd uses
//     that header for resolution only). Resolve returns the schema 1
//     descriptor whenever the registry's HEAD answer carries
//     Docker-Content-Digest and Content-Length (all common registries);
//     IsSchema1(desc.MediaType) detects it, before calling client.Pull. If
//     the registry omits them, Resolve GETs the manifest and fails with
//     errdefs.ErrNotImplemented: IsSchema1Rejection(err) detects that.
//  2. Apply the deprecation gate.
//  3. Fetch: FetchManifest(ctx, fetcher, desc), with the resolver's
//     Fetcher for the resolved name (it implements remotes.FetcherByDigest;
//     same hosts, mirrors and authorizer), downloads the manifest by digest,
//     verifies every signature and checks the digest. After a rejection in
//     step 1, FetchManifestByRef(ctx, hosts, ref) does the same by tag.
//     Manifest.Digest is the digest registries and dockerd use (of the
//     payload without signatures): RepoDigests must show it.
//  4. Convert under a lease: Converter{Store, Fetcher, Progress,
//     Limiter}.Convert(ctx, m) fetches the non-throwaway layer blobs by
//     digest (resumable ingests "layer-<digest>", verified), computes diff
//     IDs, writes the image config and an OCI manifest (GC labels,
//     annotation AnnotationSchema1Digest) and returns the manifest
//     descriptor: the image record's target.
//  5. Unpack it (client.Image.Unpack) and create the image record (label
//     AnnotationSchema1Digest = m.Digest()).
//
// Errors caused by the content (bad signature, malformed JSON, a blob that
// does not match its digest) wrap errdefs.ErrInvalidArgument.
package schema1
