// Messages kubectl sends that are requests rather than stored objects: meta/v1 DeleteOptions (a
// typed-client DELETE body) and authentication/v1 TokenRequest (`kubectl create token`).
// Notation: see meta.ts.

export const requestsSchema = `
DeleteOptions
  1 gracePeriodSeconds int64 keep
  2 preconditions Preconditions
  3 orphanDependents bool keep
  4 propagationPolicy string keep
  5 dryRun []string
  6 ignoreStoreReadErrorWithClusterBreakingPotential bool keep

Preconditions
  1 uid string keep
  2 resourceVersion string keep

TokenRequest
  1 metadata ObjectMeta
  2 spec TokenRequestSpec
  3 status TokenRequestStatus

TokenRequestSpec
  1 audiences []string
  4 expirationSeconds int64 keep
  3 boundObjectRef BoundObjectReference

BoundObjectReference
  1 kind string
  2 apiVersion string
  3 name string
  4 uid string

TokenRequestStatus
  1 token string keep
  2 expirationTimestamp Time
`;
