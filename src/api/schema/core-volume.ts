// core/v1 Volume and every volume source a pod can name.
import { LabelSelector, ObjectMeta, Quantity } from './meta.js';
import { LocalObjectReference, TypedLocalObjectReference, TypedObjectReference } from './core-refs.js';
import { ObjectFieldSelector, ResourceFieldSelector } from './core-container.js';
import { boolean, enumOf, int32, int64, list, map, ref, req, string, struct } from './dsl.js';

const CORE = 'io.k8s.api.core.v1';

const fsType = string('Filesystem type to mount, such as ext4 or xfs; inferred as ext4 when empty.');
const ro = boolean('Mount read-only when true; defaults to false.');
const secretRef = ref(LocalObjectReference, 'Secret with the credentials to use.');

// ---- projections of keys into files --------------------------------------------------------------

export const KeyToPath = struct(`${CORE}.KeyToPath`, 'Maps one key of a ConfigMap or Secret to a file path.', {
  key: req(string('The key to project.')),
  mode: int32('Permission bits of the file, 0000 to 0777; defaults to the volume defaultMode.'),
  path: req(string("Relative path of the file; must not contain '..' or start with it.")),
});

export const DownwardAPIVolumeFile = struct(`${CORE}.DownwardAPIVolumeFile`, 'A file holding a field of the pod.', {
  fieldRef: ref(ObjectFieldSelector, 'A field of the pod: metadata name, namespace, uid, labels or annotations.'),
  mode: int32('Permission bits of the file, 0000 to 0777; defaults to the volume defaultMode.'),
  path: req(string("Relative path of the file; must not contain '..' or start with it.")),
  resourceFieldRef: ref(ResourceFieldSelector, 'A resource limit or request of a container.'),
});

const defaultMode = int32('Permission bits of the created files, 0000 to 0777; defaults to 0644.');

export const ConfigMapVolumeSource = struct(`${CORE}.ConfigMapVolumeSource`, 'Files from the keys of a ConfigMap.', {
  defaultMode,
  items: list(KeyToPath, 'Keys to project and where; all keys when empty.'),
  name: string('Name of the ConfigMap.'),
  optional: boolean('Whether the ConfigMap or its keys may be missing.'),
});

export const SecretVolumeSource = struct(`${CORE}.SecretVolumeSource`, 'Files from the keys of a Secret.', {
  defaultMode,
  items: list(KeyToPath, 'Keys to project and where; all keys when empty.'),
  optional: boolean('Whether the Secret or its keys may be missing.'),
  secretName: string('Name of the Secret, in the namespace of the pod.'),
});

export const DownwardAPIVolumeSource = struct(`${CORE}.DownwardAPIVolumeSource`, 'Files holding fields of the pod.', {
  defaultMode,
  items: list(DownwardAPIVolumeFile, 'The files.'),
});

export const ConfigMapProjection = struct(`${CORE}.ConfigMapProjection`, 'ConfigMap keys inside a projected volume.', {
  items: list(KeyToPath, 'Keys to project and where; all keys when empty.'),
  name: string('Name of the ConfigMap.'),
  optional: boolean('Whether the ConfigMap or its keys may be missing.'),
});

export const SecretProjection = struct(`${CORE}.SecretProjection`, 'Secret keys inside a projected volume.', {
  items: list(KeyToPath, 'Keys to project and where; all keys when empty.'),
  name: string('Name of the Secret.'),
  optional: boolean('Whether the Secret or its keys may be missing.'),
});

export const DownwardAPIProjection = struct(
  `${CORE}.DownwardAPIProjection`,
  'Pod fields inside a projected volume.',
  { items: list(DownwardAPIVolumeFile, 'The files.') },
);

export const ServiceAccountTokenProjection = struct(
  `${CORE}.ServiceAccountTokenProjection`,
  'A service account token inside a projected volume, rotated by the kubelet.',
  {
    audience: string('Audience the token is meant for; defaults to the API server.'),
    expirationSeconds: int64('Requested lifetime of the token; at least 600, defaults to one hour.'),
    path: req(string('Relative path of the token file.')),
  },
);

export const ClusterTrustBundleProjection = struct(
  `${CORE}.ClusterTrustBundleProjection`,
  'Certificates of ClusterTrustBundle objects inside a projected volume.',
  {
    labelSelector: ref(LabelSelector, 'Select bundles of the signer by label.'),
    name: string('Select one bundle by name; exclusive with signerName and labelSelector.'),
    optional: boolean('Whether a missing bundle is tolerated.'),
    path: req(string('Relative path of the file.')),
    signerName: string('Select the bundles of this signer.'),
  },
);

export const VolumeProjection = struct(`${CORE}.VolumeProjection`, 'One source of a projected volume.', {
  clusterTrustBundle: ref(ClusterTrustBundleProjection, 'Trust anchors from ClusterTrustBundles.'),
  configMap: ref(ConfigMapProjection, 'Keys of a ConfigMap.'),
  downwardAPI: ref(DownwardAPIProjection, 'Fields of the pod.'),
  secret: ref(SecretProjection, 'Keys of a Secret.'),
  serviceAccountToken: ref(ServiceAccountTokenProjection, 'A service account token.'),
});

export const ProjectedVolumeSource = struct(
  `${CORE}.ProjectedVolumeSource`,
  'Several sources merged into one directory.',
  {
    defaultMode,
    sources: list(VolumeProjection, 'The sources.'),
  },
);

// ---- node-local and claim-based sources ------------------------------------------------------------

export const EmptyDirVolumeSource = struct(
  `${CORE}.EmptyDirVolumeSource`,
  'An empty directory that lives as long as the pod.',
  {
    medium: string('Storage medium: empty for the node default, or Memory for tmpfs.'),
    sizeLimit: ref(Quantity, 'Most space the directory may use.'),
  },
);

export const HostPathVolumeSource = struct(`${CORE}.HostPathVolumeSource`, 'A file or directory of the node.', {
  path: req(string('Path on the node; a symlink is followed to its target.')),
  type: enumOf(
    ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'],
    'What must exist at the path; empty means no check.',
  ),
});

export const PersistentVolumeClaimVolumeSource = struct(
  `${CORE}.PersistentVolumeClaimVolumeSource`,
  'The volume bound to a PersistentVolumeClaim in the namespace of the pod.',
  {
    claimName: req(string('Name of the claim.')),
    readOnly: ro,
  },
);

export const VolumeResourceRequirements = struct(
  `${CORE}.VolumeResourceRequirements`,
  'Storage a claim asks for.',
  {
    limits: map(Quantity, 'Most storage allowed.'),
    requests: map(Quantity, 'Least storage needed.'),
  },
);

export const PersistentVolumeClaimSpec = struct(
  `${CORE}.PersistentVolumeClaimSpec`,
  'What a volume claim asks for.',
  {
    accessModes: list('string', 'Access modes wanted: ReadWriteOnce, ReadOnlyMany, ReadWriteMany, ReadWriteOncePod.'),
    dataSource: ref(TypedLocalObjectReference, 'A snapshot or claim to fill the new volume from.'),
    dataSourceRef: ref(TypedObjectReference, 'Any populator object to fill the new volume from.'),
    resources: ref(VolumeResourceRequirements, 'Least storage the volume must have.'),
    selector: ref(LabelSelector, 'Label query over volumes to bind to.'),
    storageClassName: string('Name of the StorageClass.'),
    volumeAttributesClassName: string('Name of the VolumeAttributesClass.'),
    volumeMode: enumOf(['Block', 'Filesystem'], 'Filesystem (default) or Block.'),
    volumeName: string('Binds to this PersistentVolume.'),
  },
);

export const PersistentVolumeClaimTemplate = struct(
  `${CORE}.PersistentVolumeClaimTemplate`,
  'Template of the claim created for an ephemeral volume.',
  {
    metadata: ref(ObjectMeta, 'Labels and annotations copied to the claim.'),
    spec: req(ref(PersistentVolumeClaimSpec, 'Spec of the claim, copied unchanged.')),
  },
);

export const EphemeralVolumeSource = struct(
  `${CORE}.EphemeralVolumeSource`,
  'A volume backed by a claim created with the pod and deleted with it.',
  { volumeClaimTemplate: ref(PersistentVolumeClaimTemplate, 'Template of the claim, named <pod>-<volume>.') },
);

export const CSIVolumeSource = struct(`${CORE}.CSIVolumeSource`, 'An inline volume of a CSI driver.', {
  driver: req(string('Name of the CSI driver.')),
  fsType,
  nodePublishSecretRef: ref(LocalObjectReference, 'Secret passed to the driver when the volume is published.'),
  readOnly: ro,
  volumeAttributes: map('string', 'Driver-specific properties.'),
});

export const ImageVolumeSource = struct(`${CORE}.ImageVolumeSource`, 'The content of an OCI image or artifact.', {
  pullPolicy: enumOf(['Always', 'IfNotPresent', 'Never'], 'When to pull the reference.'),
  reference: string('Image or artifact reference.'),
});

export const NFSVolumeSource = struct(`${CORE}.NFSVolumeSource`, 'An NFS export.', {
  path: req(string('Exported path.')),
  readOnly: ro,
  server: req(string('Host name or IP of the NFS server.')),
});

export const ISCSIVolumeSource = struct(`${CORE}.ISCSIVolumeSource`, 'An iSCSI disk.', {
  chapAuthDiscovery: boolean('Use CHAP authentication for discovery.'),
  chapAuthSession: boolean('Use CHAP authentication for the session.'),
  fsType,
  initiatorName: string('Custom initiator name.'),
  iqn: req(string('Target iSCSI qualified name.')),
  iscsiInterface: string('Interface to use; defaults to tcp.'),
  lun: req(int32('Target LUN number.')),
  portals: list('string', 'Extra target portals.'),
  readOnly: ro,
  secretRef,
  targetPortal: req(string('Target portal, IP or host with optional port.')),
});

export const FCVolumeSource = struct(`${CORE}.FCVolumeSource`, 'A Fibre Channel disk.', {
  fsType,
  lun: int32('Target LUN number.'),
  readOnly: ro,
  targetWWNs: list('string', 'Target world wide names.'),
  wwids: list('string', 'Volume world wide identifiers.'),
});

// ---- cloud and legacy in-tree sources ------------------------------------------------------------

export const AWSElasticBlockStoreVolumeSource = struct(
  `${CORE}.AWSElasticBlockStoreVolumeSource`,
  'An AWS EBS disk. Deprecated: handled by the CSI driver.',
  {
    fsType,
    partition: int32('Partition to mount; 0 means the whole disk.'),
    readOnly: ro,
    volumeID: req(string('ID of the EBS volume.')),
  },
);

export const AzureDiskVolumeSource = struct(
  `${CORE}.AzureDiskVolumeSource`,
  'An Azure data disk. Deprecated: handled by the CSI driver.',
  {
    cachingMode: enumOf(['None', 'ReadOnly', 'ReadWrite'], 'Host caching mode.'),
    diskName: req(string('Name of the data disk.')),
    diskURI: req(string('URI of the data disk.')),
    fsType,
    kind: enumOf(['Dedicated', 'Managed', 'Shared'], 'Kind of disk; defaults to Shared.'),
    readOnly: ro,
  },
);

export const AzureFileVolumeSource = struct(
  `${CORE}.AzureFileVolumeSource`,
  'An Azure file share. Deprecated: handled by the CSI driver.',
  {
    readOnly: ro,
    secretName: req(string('Secret with the storage account name and key.')),
    shareName: req(string('Name of the share.')),
  },
);

export const CephFSVolumeSource = struct(`${CORE}.CephFSVolumeSource`, 'A Ceph filesystem. Deprecated.', {
  monitors: req(list('string', 'Ceph monitors.')),
  path: string('Root of the mount; defaults to /.'),
  readOnly: ro,
  secretFile: string('Path of the keyring file; defaults to /etc/ceph/user.secret.'),
  secretRef,
  user: string('Rados user; defaults to admin.'),
});

export const CinderVolumeSource = struct(
  `${CORE}.CinderVolumeSource`,
  'An OpenStack Cinder volume. Deprecated: handled by the CSI driver.',
  {
    fsType,
    readOnly: ro,
    secretRef,
    volumeID: req(string('ID of the volume.')),
  },
);

export const FlexVolumeSource = struct(`${CORE}.FlexVolumeSource`, 'A volume of an exec-based plugin. Deprecated.', {
  driver: req(string('Name of the driver.')),
  fsType,
  options: map('string', 'Driver-specific options.'),
  readOnly: ro,
  secretRef,
});

export const FlockerVolumeSource = struct(`${CORE}.FlockerVolumeSource`, 'A Flocker dataset. Deprecated.', {
  datasetName: string('Name of the dataset.'),
  datasetUUID: string('UUID of the dataset.'),
});

export const GCEPersistentDiskVolumeSource = struct(
  `${CORE}.GCEPersistentDiskVolumeSource`,
  'A GCE persistent disk. Deprecated: handled by the CSI driver.',
  {
    fsType,
    partition: int32('Partition to mount; 0 means the whole disk.'),
    pdName: req(string('Name of the disk.')),
    readOnly: ro,
  },
);

export const GitRepoVolumeSource = struct(
  `${CORE}.GitRepoVolumeSource`,
  'A directory cloned from a git repository. Deprecated: clone from an init container instead.',
  {
    directory: string("Target directory; '.' clones into the volume root."),
    repository: req(string('Repository URL.')),
    revision: string('Commit hash to check out.'),
  },
);

export const GlusterfsVolumeSource = struct(`${CORE}.GlusterfsVolumeSource`, 'A Glusterfs volume. Removed upstream.', {
  endpoints: req(string('Endpoints object naming the cluster.')),
  path: req(string('Name of the Glusterfs volume.')),
  readOnly: ro,
});

export const PhotonPersistentDiskVolumeSource = struct(
  `${CORE}.PhotonPersistentDiskVolumeSource`,
  'A Photon Controller disk. Deprecated.',
  {
    fsType,
    pdID: req(string('ID of the disk.')),
  },
);

export const PortworxVolumeSource = struct(`${CORE}.PortworxVolumeSource`, 'A Portworx volume. Deprecated.', {
  fsType,
  readOnly: ro,
  volumeID: req(string('ID of the volume.')),
});

export const QuobyteVolumeSource = struct(`${CORE}.QuobyteVolumeSource`, 'A Quobyte volume. Deprecated.', {
  group: string('Group to map access to.'),
  readOnly: ro,
  registry: req(string('Registry services, host:port pairs separated by commas.')),
  tenant: string('Tenant owning the volume.'),
  user: string('User to map access to.'),
  volume: req(string('Name of the volume.')),
});

export const RBDVolumeSource = struct(`${CORE}.RBDVolumeSource`, 'A Rados block device. Deprecated.', {
  fsType,
  image: req(string('Name of the image.')),
  keyring: string('Path of the keyring; defaults to /etc/ceph/keyring.'),
  monitors: req(list('string', 'Ceph monitors.')),
  pool: string('Rados pool; defaults to rbd.'),
  readOnly: ro,
  secretRef,
  user: string('Rados user; defaults to admin.'),
});

export const ScaleIOVolumeSource = struct(`${CORE}.ScaleIOVolumeSource`, 'A ScaleIO volume. Deprecated.', {
  fsType,
  gateway: req(string('Host of the ScaleIO API gateway.')),
  protectionDomain: string('Protection domain of the storage.'),
  readOnly: ro,
  secretRef: req(ref(LocalObjectReference, 'Secret with the ScaleIO credentials.')),
  sslEnabled: boolean('Use SSL to talk to the gateway.'),
  storageMode: string('ThickProvisioned or ThinProvisioned (default).'),
  storagePool: string('Storage pool of the protection domain.'),
  system: req(string('Name of the storage system.')),
  volumeName: string('Name of an existing volume.'),
});

export const StorageOSVolumeSource = struct(`${CORE}.StorageOSVolumeSource`, 'A StorageOS volume. Deprecated.', {
  fsType,
  readOnly: ro,
  secretRef,
  volumeName: string('Name of the volume in its namespace.'),
  volumeNamespace: string('StorageOS namespace; defaults to the pod namespace.'),
});

export const VsphereVirtualDiskVolumeSource = struct(
  `${CORE}.VsphereVirtualDiskVolumeSource`,
  'A vSphere disk. Deprecated: handled by the CSI driver.',
  {
    fsType,
    storagePolicyID: string('ID of the storage policy.'),
    storagePolicyName: string('Name of the storage policy.'),
    volumePath: req(string('Path of the vmdk file.')),
  },
);

// ---- the volume ------------------------------------------------------------------------------------

export const Volume = struct(
  `${CORE}.Volume`,
  'A named volume of a pod, which its containers can mount. Exactly one source is set.',
  {
    awsElasticBlockStore: ref(AWSElasticBlockStoreVolumeSource, 'An AWS EBS disk (deprecated).'),
    azureDisk: ref(AzureDiskVolumeSource, 'An Azure data disk (deprecated).'),
    azureFile: ref(AzureFileVolumeSource, 'An Azure file share (deprecated).'),
    cephfs: ref(CephFSVolumeSource, 'A Ceph filesystem (deprecated).'),
    cinder: ref(CinderVolumeSource, 'An OpenStack Cinder volume (deprecated).'),
    configMap: ref(ConfigMapVolumeSource, 'Files from a ConfigMap.'),
    csi: ref(CSIVolumeSource, 'An inline volume of a CSI driver.'),
    downwardAPI: ref(DownwardAPIVolumeSource, 'Files holding fields of the pod.'),
    emptyDir: ref(EmptyDirVolumeSource, 'A scratch directory that lives as long as the pod.'),
    ephemeral: ref(EphemeralVolumeSource, 'A volume from a claim created and deleted with the pod.'),
    fc: ref(FCVolumeSource, 'A Fibre Channel disk.'),
    flexVolume: ref(FlexVolumeSource, 'A volume of an exec-based plugin (deprecated).'),
    flocker: ref(FlockerVolumeSource, 'A Flocker dataset (deprecated).'),
    gcePersistentDisk: ref(GCEPersistentDiskVolumeSource, 'A GCE persistent disk (deprecated).'),
    gitRepo: ref(GitRepoVolumeSource, 'A cloned git repository (deprecated).'),
    glusterfs: ref(GlusterfsVolumeSource, 'A Glusterfs volume (removed upstream).'),
    hostPath: ref(HostPathVolumeSource, 'A file or directory of the node.'),
    image: ref(ImageVolumeSource, 'The content of an OCI image or artifact, read-only.'),
    iscsi: ref(ISCSIVolumeSource, 'An iSCSI disk.'),
    name: req(string('Name of the volume, a DNS label unique in the pod.')),
    nfs: ref(NFSVolumeSource, 'An NFS export.'),
    persistentVolumeClaim: ref(PersistentVolumeClaimVolumeSource, 'The volume bound to a claim.'),
    photonPersistentDisk: ref(PhotonPersistentDiskVolumeSource, 'A Photon Controller disk (deprecated).'),
    portworxVolume: ref(PortworxVolumeSource, 'A Portworx volume (deprecated).'),
    projected: ref(ProjectedVolumeSource, 'Several sources merged into one directory.'),
    quobyte: ref(QuobyteVolumeSource, 'A Quobyte volume (deprecated).'),
    rbd: ref(RBDVolumeSource, 'A Rados block device (deprecated).'),
    scaleIO: ref(ScaleIOVolumeSource, 'A ScaleIO volume (deprecated).'),
    secret: ref(SecretVolumeSource, 'Files from a Secret.'),
    storageos: ref(StorageOSVolumeSource, 'A StorageOS volume (deprecated).'),
    vsphereVolume: ref(VsphereVirtualDiskVolumeSource, 'A vSphere disk (deprecated).'),
  },
);
