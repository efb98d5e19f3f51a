// core/v1 messages: Namespace, ConfigMap, Secret, ServiceAccount, Service, Endpoints and the Pod
// with everything a PodSpec holds. Notation: see meta.ts.

export const coreSchema = `
Namespace
  1 metadata ObjectMeta
  2 spec NamespaceSpec
  3 status NamespaceStatus

NamespaceSpec
  1 finalizers []string

NamespaceStatus
  1 phase string
  2 conditions []NamespaceCondition

NamespaceCondition
  1 type string keep
  2 status string keep
  4 lastTransitionTime Time
  5 reason string
  6 message string

ConfigMap
  1 metadata ObjectMeta
  4 immutable bool keep
  2 data map<string,string>
  3 binaryData map<string,bytes>

Secret
  1 metadata ObjectMeta
  5 immutable bool keep
  2 data map<string,bytes>
  4 stringData map<string,string>
  3 type string

ServiceAccount
  1 metadata ObjectMeta
  2 secrets []ObjectReference
  3 imagePullSecrets []LocalObjectReference
  4 automountServiceAccountToken bool keep

ObjectReference
  1 kind string
  2 namespace string
  3 name string
  4 uid string
  5 apiVersion string
  6 resourceVersion string
  7 fieldPath string

LocalObjectReference
  1 name string

TypedLocalObjectReference
  1 apiGroup string keep
  2 kind string keep
  3 name string keep

TypedObjectReference
  1 apiGroup string keep
  2 kind string keep
  3 name string keep
  4 namespace string keep

Service
  1 metadata ObjectMeta
  2 spec ServiceSpec
  3 status ServiceStatus

ServiceSpec
  1 ports []ServicePort
  2 selector map<string,string>
  3 clusterIP string
  18 clusterIPs []string
  4 type string
  5 externalIPs []string
  7 sessionAffinity string
  8 loadBalancerIP string
  9 loadBalancerSourceRanges []string
  10 externalName string
  11 externalTrafficPolicy string
  12 healthCheckNodePort int32
  13 publishNotReadyAddresses bool
  14 sessionAffinityConfig SessionAffinityConfig
  19 ipFamilies []string
  17 ipFamilyPolicy string keep
  20 allocateLoadBalancerNodePorts bool keep
  21 loadBalancerClass string keep
  22 internalTrafficPolicy string keep
  23 trafficDistribution string keep

ServicePort
  1 name string
  2 protocol string
  6 appProtocol string keep
  3 port int32 keep
  4 targetPort IntOrString
  5 nodePort int32

SessionAffinityConfig
  1 clientIP ClientIPConfig

ClientIPConfig
  1 timeoutSeconds int32 keep

ServiceStatus
  1 loadBalancer LoadBalancerStatus
  2 conditions []Condition

LoadBalancerStatus
  1 ingress []LoadBalancerIngress

LoadBalancerIngress
  1 ip string
  2 hostname string
  3 ipMode string keep
  4 ports []PortStatus

PortStatus
  1 port int32 keep
  2 protocol string keep
  3 error string keep

Endpoints
  1 metadata ObjectMeta
  2 subsets []EndpointSubset

EndpointSubset
  1 addresses []EndpointAddress
  2 notReadyAddresses []EndpointAddress
  3 ports []EndpointPort

EndpointAddress
  1 ip string keep
  3 hostname string
  4 nodeName string keep
  2 targetRef ObjectReference

EndpointPort
  1 name string
  2 port int32 keep
  3 protocol string
  4 appProtocol string keep

Pod
  1 metadata ObjectMeta
  2 spec PodSpec
  3 status PodStatus

PodTemplateSpec
  1 metadata ObjectMeta
  2 spec PodSpec

PodSpec
  1 volumes []Volume
  20 initContainers []Container
  2 containers []Container
  34 ephemeralContainers []EphemeralContainer
  3 restartPolicy string
  4 terminationGracePeriodSeconds int64 keep
  5 activeDeadlineSeconds int64 keep
  6 dnsPolicy string
  7 nodeSelector map<string,string>
  8 serviceAccountName string
  9 serviceAccount string
  21 automountServiceAccountToken bool keep
  10 nodeName string
  11 hostNetwork bool
  12 hostPID bool
  13 hostIPC bool
  27 shareProcessNamespace bool keep
  14 securityContext PodSecurityContext
  15 imagePullSecrets []LocalObjectReference
  16 hostname string
  17 subdomain string
  18 affinity Affinity
  19 schedulerName string
  22 tolerations []Toleration
  23 hostAliases []HostAlias
  24 priorityClassName string
  25 priority int32 keep
  26 dnsConfig PodDNSConfig
  28 readinessGates []PodReadinessGate
  29 runtimeClassName string keep
  30 enableServiceLinks bool keep
  31 preemptionPolicy string keep
  32 overhead map<string,Quantity>
  33 topologySpreadConstraints []TopologySpreadConstraint
  35 setHostnameAsFQDN bool keep
  36 os PodOS
  37 hostUsers bool keep
  38 schedulingGates []PodSchedulingGate
  39 resourceClaims []PodResourceClaim
  40 resources ResourceRequirements
  41 hostnameOverride string keep

Container
  1 name string keep
  2 image string
  3 command []string
  4 args []string
  5 workingDir string
  6 ports []ContainerPort
  19 envFrom []EnvFromSource
  7 env []EnvVar
  8 resources ResourceRequirements
  23 resizePolicy []ContainerResizePolicy
  24 restartPolicy string keep
  25 restartPolicyRules []ContainerRestartRule
  9 volumeMounts []VolumeMount
  21 volumeDevices []VolumeDevice
  10 livenessProbe Probe
  11 readinessProbe Probe
  22 startupProbe Probe
  12 lifecycle Lifecycle
  13 terminationMessagePath string
  20 terminationMessagePolicy string
  14 imagePullPolicy string
  15 securityContext SecurityContext
  16 stdin bool
  17 stdinOnce bool
  18 tty bool

EphemeralContainer
  1 ephemeralContainerCommon Container inline
  2 targetContainerName string

ContainerPort
  1 name string
  2 hostPort int32
  3 containerPort int32 keep
  4 protocol string
  5 hostIP string

ContainerResizePolicy
  1 resourceName string keep
  2 restartPolicy string keep

ContainerRestartRule
  1 action string keep
  2 exitCodes ContainerRestartRuleOnExitCodes

ContainerRestartRuleOnExitCodes
  1 operator string keep
  2 values []int32

EnvFromSource
  1 prefix string
  2 configMapRef ConfigMapEnvSource
  3 secretRef SecretEnvSource

ConfigMapEnvSource
  1 localObjectReference LocalObjectReference inline
  2 optional bool keep

SecretEnvSource
  1 localObjectReference LocalObjectReference inline
  2 optional bool keep

EnvVar
  1 name string keep
  2 value string
  3 valueFrom EnvVarSource

EnvVarSource
  1 fieldRef ObjectFieldSelector
  2 resourceFieldRef ResourceFieldSelector
  3 configMapKeyRef ConfigMapKeySelector
  4 secretKeyRef SecretKeySelector
  5 fileKeyRef FileKeySelector

ObjectFieldSelector
  1 apiVersion string
  2 fieldPath string keep

ResourceFieldSelector
  1 containerName string
  2 resource string keep
  3 divisor Quantity

ConfigMapKeySelector
  1 localObjectReference LocalObjectReference inline
  2 key string keep
  3 optional bool keep

SecretKeySelector
  1 localObjectReference LocalObjectReference inline
  2 key string keep
  3 optional bool keep

FileKeySelector
  1 volumeName string keep
  2 path string keep
  3 key string keep
  4 optional bool keep

ResourceRequirements
  1 limits map<string,Quantity>
  2 requests map<string,Quantity>
  3 claims []ResourceClaim

ResourceClaim
  1 name string keep
  2 request string

VolumeMount
  1 name string keep
  2 readOnly bool
  7 recursiveReadOnly string keep
  3 mountPath string keep
  4 subPath string
  5 mountPropagation string keep
  6 subPathExpr string

VolumeDevice
  1 name string keep
  2 devicePath string keep

Probe
  1 handler ProbeHandler inline
  2 initialDelaySeconds int32
  3 timeoutSeconds int32
  4 periodSeconds int32
  5 successThreshold int32
  6 failureThreshold int32
  7 terminationGracePeriodSeconds int64 keep

ProbeHandler
  1 exec ExecAction
  2 httpGet HTTPGetAction
  3 tcpSocket TCPSocketAction
  4 grpc GRPCAction

Lifecycle
  1 postStart LifecycleHandler
  2 preStop LifecycleHandler
  3 stopSignal string keep

LifecycleHandler
  1 exec ExecAction
  2 httpGet HTTPGetAction
  3 tcpSocket TCPSocketAction
  4 sleep SleepAction

ExecAction
  1 command []string

HTTPGetAction
  1 path string
  2 port IntOrString keep
  3 host string
  4 scheme string
  5 httpHeaders []HTTPHeader

HTTPHeader
  1 name string keep
  2 value string keep

TCPSocketAction
  1 port IntOrString keep
  2 host string

GRPCAction
  1 port int32 keep
  2 service string keep

SleepAction
  1 seconds int64 keep

SecurityContext
  1 capabilities Capabilities
  2 privileged bool keep
  3 seLinuxOptions SELinuxOptions
  10 windowsOptions WindowsSecurityContextOptions
  4 runAsUser int64 keep
  8 runAsGroup int64 keep
  5 runAsNonRoot bool keep
  6 readOnlyRootFilesystem bool keep
  7 allowPrivilegeEscalation bool keep
  9 procMount string keep
  11 seccompProfile SeccompProfile
  12 appArmorProfile AppArmorProfile

Capabilities
  1 add []string
  2 drop []string

SELinuxOptions
  1 user string
  2 role string
  3 type string
  4 level string

WindowsSecurityContextOptions
  1 gmsaCredentialSpecName string keep
  2 gmsaCredentialSpec string keep
  3 runAsUserName string keep
  4 hostProcess bool keep

SeccompProfile
  1 type string keep
  2 localhostProfile string keep

AppArmorProfile
  1 type string keep
  2 localhostProfile string keep

PodSecurityContext
  1 seLinuxOptions SELinuxOptions
  8 windowsOptions WindowsSecurityContextOptions
  2 runAsUser int64 keep
  6 runAsGroup int64 keep
  3 runAsNonRoot bool keep
  4 supplementalGroups []int64
  12 supplementalGroupsPolicy string keep
  5 fsGroup int64 keep
  7 sysctls []Sysctl
  9 fsGroupChangePolicy string keep
  10 seccompProfile SeccompProfile
  11 appArmorProfile AppArmorProfile
  13 seLinuxChangePolicy string keep

Sysctl
  1 name string keep
  2 value string keep

Affinity
  1 nodeAffinity NodeAffinity
  2 podAffinity PodAffinity
  3 podAntiAffinity PodAntiAffinity

NodeAffinity
  1 requiredDuringSchedulingIgnoredDuringExecution NodeSelector
  2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm

NodeSelector
  1 nodeSelectorTerms []NodeSelectorTerm

NodeSelectorTerm
  1 matchExpressions []NodeSelectorRequirement
  2 matchFields []NodeSelectorRequirement

NodeSelectorRequirement
  1 key string keep
  2 operator string keep
  3 values []string

PreferredSchedulingTerm
  1 weight int32 keep
  2 preference NodeSelectorTerm

PodAffinity
  1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm

PodAntiAffinity
  1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm
  2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm

PodAffinityTerm
  1 labelSelector LabelSelector
  2 namespaces []string
  3 topologyKey string keep
  4 namespaceSelector LabelSelector
  5 matchLabelKeys []string
  6 mismatchLabelKeys []string

WeightedPodAffinityTerm
  1 weight int32 keep
  2 podAffinityTerm PodAffinityTerm

Toleration
  1 key string
  2 operator string
  3 value string
  4 effect string
  5 tolerationSeconds int64 keep

HostAlias
  1 ip string keep
  2 hostnames []string

PodDNSConfig
  1 nameservers []string
  2 searches []string
  3 options []PodDNSConfigOption

PodDNSConfigOption
  1 name string
  2 value string keep

PodReadinessGate
  1 conditionType string keep

TopologySpreadConstraint
  1 maxSkew int32 keep
  2 topologyKey string keep
  3 whenUnsatisfiable string keep
  4 labelSelector LabelSelector
  5 minDomains int32 keep
  6 nodeAffinityPolicy string keep
  7 nodeTaintsPolicy string keep
  8 matchLabelKeys []string

PodOS
  1 name string keep

PodSchedulingGate
  1 name string keep

PodResourceClaim
  1 name string keep
  3 resourceClaimName string keep
  4 resourceClaimTemplateName string keep

Volume
  1 name string keep
  2 volumeSource VolumeSource inline

VolumeSource
  1 hostPath HostPathVolumeSource
  2 emptyDir EmptyDirVolumeSource
  3 gcePersistentDisk GCEPersistentDiskVolumeSource
  4 awsElasticBlockStore AWSElasticBlockStoreVolumeSource
  5 gitRepo GitRepoVolumeSource
  6 secret SecretVolumeSource
  7 nfs NFSVolumeSource
  8 iscsi ISCSIVolumeSource
  9 glusterfs GlusterfsVolumeSource
  10 persistentVolumeClaim PersistentVolumeClaimVolumeSource
  11 rbd RBDVolumeSource
  12 flexVolume FlexVolumeSource
  13 cinder CinderVolumeSource
  14 cephfs CephFSVolumeSource
  15 flocker FlockerVolumeSource
  16 downwardAPI DownwardAPIVolumeSource
  17 fc FCVolumeSource
  18 azureFile AzureFileVolumeSource
  19 configMap ConfigMapVolumeSource
  20 vsphereVolume VsphereVirtualDiskVolumeSource
  21 quobyte QuobyteVolumeSource
  22 azureDisk AzureDiskVolumeSource
  23 photonPersistentDisk PhotonPersistentDiskVolumeSource
  26 projected ProjectedVolumeSource
  24 portworxVolume PortworxVolumeSource
  25 scaleIO ScaleIOVolumeSource
  27 storageos StorageOSVolumeSource
  28 csi CSIVolumeSource
  29 ephemeral EphemeralVolumeSource
  30 image ImageVolumeSource

HostPathVolumeSource
  1 path string keep
  2 type string keep

EmptyDirVolumeSource
  1 medium string
  2 sizeLimit Quantity

SecretVolumeSource
  1 secretName string
  2 items []KeyToPath
  3 defaultMode int32 keep
  4 optional bool keep

ConfigMapVolumeSource
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  3 defaultMode int32 keep
  4 optional bool keep

KeyToPath
  1 key string keep
  2 path string keep
  3 mode int32 keep

DownwardAPIVolumeSource
  1 items []DownwardAPIVolumeFile
  2 defaultMode int32 keep

DownwardAPIVolumeFile
  1 path string keep
  2 fieldRef ObjectFieldSelector
  3 resourceFieldRef ResourceFieldSelector
  4 mode int32 keep

ProjectedVolumeSource
  1 sources []VolumeProjection
  2 defaultMode int32 keep

VolumeProjection
  1 secret SecretProjection
  2 downwardAPI DownwardAPIProjection
  3 configMap ConfigMapProjection
  4 serviceAccountToken ServiceAccountTokenProjection
  5 clusterTrustBundle ClusterTrustBundleProjection
  6 podCertificate PodCertificateProjection

SecretProjection
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  4 optional bool keep

ConfigMapProjection
  1 localObjectReference LocalObjectReference inline
  2 items []KeyToPath
  4 optional bool keep

DownwardAPIProjection
  1 items []DownwardAPIVolumeFile

ServiceAccountTokenProjection
  1 audience string
  2 expirationSeconds int64 keep
  3 path string keep

ClusterTrustBundleProjection
  1 name string keep
  2 signerName string keep
  3 labelSelector LabelSelector
  5 optional bool keep
  4 path string keep

PodCertificateProjection
  1 signerName string
  2 keyType string
  3 maxExpirationSeconds int32 keep
  4 credentialBundlePath string
  5 keyPath string
  6 certificateChainPath string
  7 userAnnotations map<string,string>

PersistentVolumeClaimVolumeSource
  1 claimName string keep
  2 readOnly bool

EphemeralVolumeSource
  1 volumeClaimTemplate PersistentVolumeClaimTemplate

PersistentVolumeClaimTemplate
  1 metadata ObjectMeta
  2 spec PersistentVolumeClaimSpec

PersistentVolumeClaimSpec
  1 accessModes []string
  4 selector LabelSelector
  2 resources VolumeResourceRequirements
  3 volumeName string
  5 storageClassName string keep
  6 volumeMode string keep
  7 dataSource TypedLocalObjectReference
  8 dataSourceRef TypedObjectReference
  9 volumeAttributesClassName string keep

VolumeResourceRequirements
  1 limits map<string,Quantity>
  2 requests map<string,Quantity>

ImageVolumeSource
  1 reference string
  2 pullPolicy string

NFSVolumeSource
  1 server string keep
  2 path string keep
  3 readOnly bool

CSIVolumeSource
  1 driver string keep
  2 readOnly bool keep
  3 fsType string keep
  4 volumeAttributes map<string,string>
  5 nodePublishSecretRef LocalObjectReference

GCEPersistentDiskVolumeSource
  1 pdName string keep
  2 fsType string
  3 partition int32
  4 readOnly bool

AWSElasticBlockStoreVolumeSource
  1 volumeID string keep
  2 fsType string
  3 partition int32
  4 readOnly bool

GitRepoVolumeSource
  1 repository string keep
  2 revision string
  3 directory string

ISCSIVolumeSource
  1 targetPortal string keep
  2 iqn string keep
  3 lun int32 keep
  4 iscsiInterface string
  5 fsType string
  6 readOnly bool
  7 portals []string
  8 chapAuthDiscovery bool
  11 chapAuthSession bool
  10 secretRef LocalObjectReference
  12 initiatorName string keep

GlusterfsVolumeSource
  1 endpoints string keep
  2 path string keep
  3 readOnly bool

RBDVolumeSource
  1 monitors []string
  2 image string keep
  3 fsType string
  4 pool string
  5 user string
  6 keyring string
  7 secretRef LocalObjectReference
  8 readOnly bool

FlexVolumeSource
  1 driver string keep
  2 fsType string
  3 secretRef LocalObjectReference
  4 readOnly bool
  5 options map<string,string>

CinderVolumeSource
  1 volumeID string keep
  2 fsType string
  3 readOnly bool
  4 secretRef LocalObjectReference

CephFSVolumeSource
  1 monitors []string
  2 path string
  3 user string
  4 secretFile string
  5 secretRef LocalObjectReference
  6 readOnly bool

FlockerVolumeSource
  1 datasetName string
  2 datasetUUID string

FCVolumeSource
  1 targetWWNs []string
  2 lun int32 keep
  3 fsType string
  4 readOnly bool
  5 wwids []string

AzureFileVolumeSource
  1 secretName string keep
  2 shareName string keep
  3 readOnly bool

VsphereVirtualDiskVolumeSource
  1 volumePath string keep
  2 fsType string
  3 storagePolicyName string
  4 storagePolicyID string

QuobyteVolumeSource
  1 registry string keep
  2 volume string keep
  3 readOnly bool
  4 user string
  5 group string
  6 tenant string

AzureDiskVolumeSource
  1 diskName string keep
  2 diskURI string keep
  3 cachingMode string keep
  4 fsType string keep
  5 readOnly bool keep
  6 kind string keep

PhotonPersistentDiskVolumeSource
  1 pdID string keep
  2 fsType string

PortworxVolumeSource
  1 volumeID string keep
  2 fsType string
  3 readOnly bool

ScaleIOVolumeSource
  1 gateway string keep
  2 system string keep
  3 secretRef LocalObjectReference
  4 sslEnabled bool
  5 protectionDomain string
  6 storagePool string
  7 storageMode string
  8 volumeName string
  9 fsType string
  10 readOnly bool

StorageOSVolumeSource
  1 volumeName string
  2 volumeNamespace string
  3 fsType string
  4 readOnly bool
  5 secretRef LocalObjectReference

PodStatus
  17 observedGeneration int64
  1 phase string
  2 conditions []PodCondition
  3 message string
  4 reason string
  11 nominatedNodeName string
  5 hostIP string
  16 hostIPs []HostIP
  6 podIP string
  12 podIPs []PodIP
  7 startTime Time
  10 initContainerStatuses []ContainerStatus
  8 containerStatuses []ContainerStatus
  9 qosClass string
  13 ephemeralContainerStatuses []ContainerStatus
  14 resize string

PodCondition
  1 type string keep
  7 observedGeneration int64
  2 status string keep
  3 lastProbeTime Time
  4 lastTransitionTime Time
  5 reason string
  6 message string

HostIP
  1 ip string keep

PodIP
  1 ip string keep

ContainerStatus
  1 name string keep
  2 state ContainerState
  3 lastState ContainerState
  4 ready bool keep
  5 restartCount int32 keep
  6 image string keep
  7 imageID string keep
  8 containerID string
  9 started bool keep
  10 allocatedResources map<string,Quantity>
  11 resources ResourceRequirements
  15 stopSignal string keep

ContainerState
  1 waiting ContainerStateWaiting
  2 running ContainerStateRunning
  3 terminated ContainerStateTerminated

ContainerStateWaiting
  1 reason string
  2 message string

ContainerStateRunning
  1 startedAt Time

ContainerStateTerminated
  1 exitCode int32 keep
  2 signal int32
  3 reason string
  4 message string
  5 startedAt Time
  6 finishedAt Time
  7 containerID string
`;
