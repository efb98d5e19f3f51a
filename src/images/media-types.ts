export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** containerd's annotation carrying an image's full name in an OCI index. */
export const ContainerdImageNameAnnotation = 'io.containerd.image.name';
/** The OCI image-spec's reference-name annotation (the tag, or a full reference). */
export const OciRefNameAnnotation = 'org.opencontainers.image.ref.name';
