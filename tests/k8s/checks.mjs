// Checks on the Kubernetes manifests in deploy/k8s: what an API server would
// refuse, and what a cluster would accept but silently get wrong (a Service
// selecting no pods, a probe on a port that does not exist, a secret in a
// ConfigMap, a grace period shorter than the drain).
//
// Every check takes a manifest set (loadManifestSet) and returns a list of
// problems, each a sentence naming the object; an empty list is a pass. They
// are pure functions so that manifests.test.mjs can also run them on broken
// copies and see them fail.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

// ---------------------------------------------------------------- loading --

// kubectl reads manifests with YAML 1.1 rules (sigs.k8s.io/yaml), under which
// `yes`, `on` and `0755` are not strings; parse them the same way.
export function parseYamlDocuments(text, fileName) {
  const docs = [];
  for (const doc of YAML.parseAllDocuments(text, { version: '1.1', prettyErrors: true })) {
    if (doc.errors.length > 0) {
      throw new Error(`${fileName}: ${doc.errors.map((e) => e.message).join('; ')}`);
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) docs.push(value);
  }
  return docs;
}

// A file that shows the shape of an object created by hand (a Secret) and is
// deliberately not applied by the kustomization.
export const isTemplateFile = (name) => /\.example\.ya?ml$/.test(name);

// Reads deploy/k8s: the kustomization, and every YAML document of every file
// in the folder. A document is `applied` when its file is in `resources`.
export function loadManifestSet(dir) {
  const kustomization = parseYamlDocuments(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'),
    'kustomization.yaml')[0] ?? {};
  const resources = Array.isArray(kustomization.resources) ? kustomization.resources : [];
  const yamlFiles = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
  const docs = [];
  for (const file of yamlFiles) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const doc of parseYamlDocuments(text, file)) {
      docs.push({ file, applied: resources.includes(file), doc });
    }
  }
  return { dir, kustomization, yamlFiles, docs, settings: null };
}

// The setting names a binary knows: every `[env NAME` in `serve --help`.
export function settingsFromHelp(helpText) {
  return new Set([...helpText.matchAll(/\[env ([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));
}

// ---------------------------------------------------------------- helpers --

const id = (doc) => `${doc?.kind ?? '?'}/${doc?.metadata?.name ?? '?'}`;
const applied = (set) => set.docs.filter((d) => d.applied).map((d) => d.doc);
const allDocs = (set) => set.docs.map((d) => d.doc);
const ofKind = (docs, kind) => docs.filter((d) => d.kind === kind);
const find = (docs, kind, name) => docs.find((d) => d.kind === kind && d.metadata?.name === name);

// Objects that carry a pod template, and that template.
export function podTemplates(docs) {
  const out = [];
  for (const doc of docs) {
    if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(doc.kind)) {
      out.push({ owner: doc, template: doc.spec?.template ?? {} });
    } else if (doc.kind === 'CronJob') {
      out.push({ owner: doc, template: doc.spec?.jobTemplate?.spec?.template ?? {} });
    }
  }
  return out;
}

const containersOf = (podSpec) => [...(podSpec?.initContainers ?? []), ...(podSpec?.containers ?? [])];
const podLabels = (template) => template?.metadata?.labels ?? {};

// Does a label selector (matchLabels + matchExpressions, or a plain map as in
// a Service) select these labels? An empty selector selects nothing here:
// none of ours should be empty, and for a PDB or NetworkPolicy an empty one
// means "everything", which is never what these manifests intend.
export function selectorMatches(selector, labels) {
  if (!selector || typeof selector !== 'object') return false;
  const isLabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector;
  const matchLabels = isLabelSelector ? (selector.matchLabels ?? {}) : selector;
  const expressions = isLabelSelector ? (selector.matchExpressions ?? []) : [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return false;
  for (const [key, value] of Object.entries(matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of expressions) {
    const has = Object.hasOwn(labels, key);
    if (operator === 'In' && !(has && values.includes(labels[key]))) return false;
    if (operator === 'NotIn' && has && values.includes(labels[key])) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

// A Kubernetes quantity ("500m", "2", "1.5Gi", "512Mi", "1e3") as a number of
// base units (cores, bytes). Throws on anything the API server would refuse.
export function parseQuantity(quantity) {
  if (typeof quantity === 'number' && Number.isFinite(quantity)) return quantity;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|([eE][+-]?\d+))?$/
    .exec(String(quantity));
  if (!m) throw new Error(`not a quantity: ${JSON.stringify(quantity)}`);
  const [, number, binary, decimal, exponent] = m;
  const binaryPow = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
  const decimalPow = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  let factor = 1;
  if (binary) factor = 1024 ** binaryPow[binary];
  else if (decimal) factor = 10 ** decimalPow[decimal];
  else if (exponent) factor = 10 ** Number(exponent.slice(1));
  return Number(number) * factor;
}

// The seconds a container's preStop hook waits (exec `sleep N` or the sleep
// action); 0 without one.
export function preStopSeconds(container) {
  const preStop = container?.lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return Number(preStop.sleep.seconds) || 0;
  const command = preStop.exec?.command ?? [];
  const words = command.length === 3 && /(^|\/)(ba)?sh$/.test(command[0]) ? command[2].split(/\s+/) : command;
  const at = words.findIndex((w) => /(^|\/)sleep$/.test(w));
  return at >= 0 ? Number(words[at + 1]) || 0 : 0;
}

// The clawbot server: the Deployment whose containers read clawbot's
// ConfigMap, and that container.
function server(docs) {
  for (const deployment of ofKind(docs, 'Deployment')) {
    for (const container of deployment.spec?.template?.spec?.containers ?? []) {
      if (container.name === 'clawbot') return { deployment, container };
    }
  }
  return null;
}

// The ConfigMaps a container takes all keys of (envFrom), merged, with the
// container's own literal env values on top.
function environmentOf(docs, container) {
  const env = {};
  for (const from of container?.envFrom ?? []) {
    const cm = from.configMapRef && find(docs, 'ConfigMap', from.configMapRef.name);
    Object.assign(env, cm?.data ?? {});
  }
  for (const e of container?.env ?? []) if (typeof e.value === 'string') env[e.name] = e.value;
  return env;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function portNameProblem(name) {
  if (name.length > 15 || !PORT_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
    return `port name "${name}" is not an IANA service name (15 lowercase letters, digits and single dashes, at least one letter)`;
  }
  return null;
}

// ----------------------------------------------------------------- checks --

// Each resource exists; each YAML file is a resource, except the templates,
// which must not be (applying one would overwrite the real object).
export function checkKustomization(set) {
  const problems = [];
  const k = set.kustomization;
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    problems.push('kustomization.yaml: apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization expected');
  }
  const resources = Array.isArray(k.resources) ? k.resources : [];
  if (resources.length === 0) problems.push('kustomization.yaml lists no resources');
  for (const r of resources) {
    if (!fs.existsSync(path.join(set.dir, r))) problems.push(`kustomization.yaml lists ${r}, which does not exist`);
    if (isTemplateFile(r)) problems.push(`kustomization.yaml applies the template ${r}; create that object by hand`);
  }
  for (const file of set.yamlFiles) {
    if (!isTemplateFile(file) && !resources.includes(file)) {
      problems.push(`${file} is not listed in kustomization.yaml, so kubectl apply -k never applies it`);
    }
  }
  if (new Set(resources).size !== resources.length) problems.push('kustomization.yaml lists a resource twice');
  if (!k.namespace) {
    problems.push('kustomization.yaml sets no namespace');
  } else if (!find(applied(set), 'Namespace', k.namespace)) {
    problems.push(`namespace ${k.namespace} is not created by any resource`);
  }
  // The images transformer rewrites only the names it is given; a container
  // image it misses is pulled as written (docker.io/library/NAME:latest).
  const imageNames = (k.images ?? []).map((i) => i.name);
  const used = new Set();
  for (const { owner, template } of podTemplates(applied(set))) {
    for (const c of containersOf(template.spec)) {
      used.add(c.image);
      if (typeof c.image !== 'string' || c.image === '') {
        problems.push(`${id(owner)} container ${c.name} has no image`);
      } else if (!/[:@]/.test(c.image.split('/').pop()) && !imageNames.includes(c.image)) {
        problems.push(`${id(owner)} container ${c.name} uses image "${c.image}" with no tag and no images: entry`);
      }
    }
  }
  for (const name of imageNames) {
    if (!used.has(name)) problems.push(`kustomization.yaml images: ${name} matches no container image`);
  }
  return problems;
}

// The API versions the current Kubernetes serves for each kind (the beta ones
// are gone: autoscaling/v2beta2 in 1.26, policy/v1beta1 in 1.25).
export const API_VERSIONS = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
  PodDisruptionBudget: 'policy/v1',
  Job: 'batch/v1',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
};

// apiVersion, kind and a valid name on every document; known kinds at their
// current version; label keys and values the API server accepts; ConfigMap
// data and literal env values that are strings.
export function checkDocumentShape(set) {
  const problems = [];
  const namespace = set.kustomization.namespace;
  for (const { file, doc } of set.docs) {
    const where = `${file}: ${id(doc)}`;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      problems.push(`${file}: a document that is not a mapping`);
      continue;
    }
    for (const field of ['apiVersion', 'kind']) {
      if (typeof doc[field] !== 'string' || doc[field] === '') problems.push(`${where} has no ${field}`);
    }
    const name = doc.metadata?.name;
    if (typeof name !== 'string' || name === '') {
      problems.push(`${where} has no metadata.name`);
    } else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      problems.push(`${where}: "${name}" is not a valid object name`);
    } else if (['Service', 'Namespace'].includes(doc.kind) && (name.length > 63 || !DNS1035_LABEL.test(name))) {
      problems.push(`${where}: a ${doc.kind} name must be a DNS label starting with a letter`);
    }
    if (doc.kind in API_VERSIONS) {
      if (doc.apiVersion !== API_VERSIONS[doc.kind]) {
        problems.push(`${where}: apiVersion ${doc.apiVersion}, the current one is ${API_VERSIONS[doc.kind]}`);
      }
    } else if (doc.kind) {
      problems.push(`${where}: kind ${doc.kind} is not one these checks know`);
    }
    const ns = doc.metadata?.namespace;
    if (ns !== undefined && doc.kind !== 'Namespace' && ns !== namespace) {
      problems.push(`${where} is in namespace ${ns}, not ${namespace}`);
    }
    const labelMaps = [['metadata.labels', doc.metadata?.labels]];
    for (const { template } of podTemplates([doc])) labelMaps.push(['pod template labels', template.metadata?.labels]);
    for (const [what, labels] of labelMaps) {
      for (const [key, value] of Object.entries(labels ?? {})) {
        if (!LABEL_NAME.test(key) || key.split('/').pop().length > 63) problems.push(`${where}: ${what} key "${key}" is invalid`);
        if (typeof value !== 'string') problems.push(`${where}: ${what} ${key} is a ${typeof value}, not a string`);
        else if (value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`${where}: ${what} ${key}="${value}" is invalid`);
      }
    }
    if (doc.kind === 'ConfigMap' || doc.kind === 'Secret') {
      for (const field of doc.kind === 'Secret' ? ['data', 'stringData'] : ['data']) {
        for (const [key, value] of Object.entries(doc[field] ?? {})) {
          if (typeof value !== 'string') {
            problems.push(`${where}: ${field}.${key} is a ${typeof value} (${JSON.stringify(value)}); quote it`);
          }
        }
      }
    }
    for (const { template } of podTemplates([doc])) {
      for (const c of containersOf(template.spec)) {
        if (!DNS1123_LABEL.test(c.name ?? '') || c.name.length > 63) problems.push(`${where}: container name "${c.name}" is invalid`);
        for (const e of c.env ?? []) {
          if ('value' in e && typeof e.value !== 'string') {
            problems.push(`${where}: env ${e.name} is a ${typeof e.value}, not a string; quote it`);
          }
        }
        for (const p of c.ports ?? []) {
          if (p.name !== undefined) {
            const bad = portNameProblem(String(p.name));
            if (bad) problems.push(`${where}: container ${c.name} ${bad}`);
          }
          if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
            problems.push(`${where}: container ${c.name} containerPort ${p.containerPort} is not a port number`);
          }
        }
      }
    }
  }
  return problems;
}

// Deployment and StatefulSet selectors are required and must select their own
// template's labels, or the API server refuses them.
export function checkWorkloadSelectors(set) {
  const problems = [];
  for (const doc of allDocs(set).filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind))) {
    const matchLabels = doc.spec?.selector?.matchLabels;
    const labels = podLabels(doc.spec?.template);
    if (!matchLabels || Object.keys(matchLabels).length === 0) {
      problems.push(`${id(doc)} has no spec.selector.matchLabels`);
      continue;
    }
    for (const [key, value] of Object.entries(matchLabels)) {
      if (labels[key] !== value) {
        problems.push(`${id(doc)}: selector ${key}=${value} is not a label of its pod template (${labels[key] ?? 'absent'})`);
      }
    }
  }
  return problems;
}

// Every Service selects the pods of some workload, and its targetPort (name
// or number) is a container port of those pods.
export function checkServices(set) {
  const problems = [];
  const templates = podTemplates(allDocs(set));
  for (const svc of ofKind(allDocs(set), 'Service')) {
    const selected = templates.filter(({ template }) => selectorMatches(svc.spec?.selector, podLabels(template)));
    if (selected.length === 0) {
      problems.push(`${id(svc)}: selector ${JSON.stringify(svc.spec?.selector ?? {})} matches no workload's pods`);
      continue;
    }
    const ports = svc.spec?.ports ?? [];
    if (ports.length === 0) problems.push(`${id(svc)} has no ports`);
    for (const p of ports) {
      const target = p.targetPort ?? p.port;
      for (const { owner, template } of selected) {
        const containerPorts = containersOf(template.spec).flatMap((c) => c.ports ?? []);
        const found = typeof target === 'string'
          ? containerPorts.some((cp) => cp.name === target)
          : containerPorts.some((cp) => cp.containerPort === target);
        if (!found) problems.push(`${id(svc)}: targetPort ${target} is not a container port of ${id(owner)}`);
      }
      if (ports.length > 1 && !p.name) problems.push(`${id(svc)}: a Service with several ports must name each`);
    }
  }
  return problems;
}

// Probes of every container use a port that container declares (a named
// port is looked up in the container itself); clawbot's readiness is /readyz
// and its liveness (and startup) /healthz.
export function checkProbes(set) {
  const problems = [];
  for (const { owner, template } of podTemplates(allDocs(set))) {
    for (const c of template.spec?.containers ?? []) {
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const probe = c[kind];
        if (!probe) continue;
        const action = probe.httpGet ?? probe.tcpSocket ?? probe.grpc;
        if (action) {
          const port = action.port;
          const ok = typeof port === 'string'
            ? (c.ports ?? []).some((p) => p.name === port)
            : (c.ports ?? []).some((p) => p.containerPort === port);
          if (!ok) problems.push(`${id(owner)} container ${c.name}: ${kind} port ${port} is not a port of the container`);
        } else if (!probe.exec?.command?.length) {
          problems.push(`${id(owner)} container ${c.name}: ${kind} has no action`);
        }
        if (probe.httpGet && !String(probe.httpGet.path ?? '').startsWith('/')) {
          problems.push(`${id(owner)} container ${c.name}: ${kind} path ${probe.httpGet.path} does not start with /`);
        }
      }
    }
  }
  const s = server(allDocs(set));
  if (!s) return [...problems, 'no Deployment has a container named clawbot'];
  const expected = { readinessProbe: '/readyz', livenessProbe: '/healthz', startupProbe: '/healthz' };
  for (const [kind, wanted] of Object.entries(expected)) {
    const probe = s.container[kind];
    if (!probe) {
      if (kind !== 'startupProbe') problems.push(`clawbot container has no ${kind}`);
      continue;
    }
    if (probe.httpGet?.path !== wanted) {
      problems.push(`clawbot container: ${kind} must be an httpGet on ${wanted}, not ${probe.httpGet?.path ?? 'a non-HTTP probe'}`);
    }
  }
  // Without a startup probe the liveness probe runs while the model loads
  // (the server listens only after that) and restarts the pod in a loop.
  if (s.container.livenessProbe && !s.container.startupProbe && !s.container.livenessProbe.initialDelaySeconds) {
    problems.push('clawbot container: a liveness probe without a startupProbe or initialDelaySeconds kills pods loading a model');
  }
  return problems;
}

// The fields the server's pod must have, at pod or container level.
export function checkServerSecurity(set) {
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const pod = s.deployment.spec?.template?.spec?.securityContext ?? {};
  const ctr = s.container.securityContext ?? {};
  const either = (field) => ctr[field] ?? pod[field];
  const problems = [];
  if (either('runAsNonRoot') !== true) problems.push('clawbot: runAsNonRoot is not true');
  if (either('runAsUser') !== 10001) problems.push(`clawbot: runAsUser is ${either('runAsUser')}, the image's user is 10001`);
  if (ctr.readOnlyRootFilesystem !== true) problems.push('clawbot: readOnlyRootFilesystem is not true');
  if (ctr.allowPrivilegeEscalation !== false) problems.push('clawbot: allowPrivilegeEscalation is not false');
  if (!(ctr.capabilities?.drop ?? []).includes('ALL')) problems.push('clawbot: capabilities do not drop ALL');
  if ((ctr.capabilities?.add ?? []).length > 0) problems.push('clawbot: capabilities are added');
  if (either('seccompProfile')?.type !== 'RuntimeDefault') problems.push('clawbot: seccompProfile is not RuntimeDefault');
  if (ctr.privileged === true) problems.push('clawbot: privileged');
  return problems;
}

// Where the namespace enforces the "restricted" Pod Security Standard, a pod
// template that breaks it is accepted as a Deployment but its pods are
// refused: the workload then silently never runs.
export function checkPodSecurityRestricted(set) {
  const namespace = find(applied(set), 'Namespace', set.kustomization.namespace);
  if (namespace?.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') return [];
  const problems = [];
  const allowedVolumes = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
  for (const { owner, template } of podTemplates(applied(set))) {
    const spec = template.spec ?? {};
    const pod = spec.securityContext ?? {};
    const where = id(owner);
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[field]) problems.push(`${where}: ${field}`);
    for (const v of spec.volumes ?? []) {
      const type = Object.keys(v).find((key) => key !== 'name');
      if (!allowedVolumes.includes(type)) problems.push(`${where}: volume ${v.name} of type ${type} is not allowed`);
    }
    for (const c of containersOf(spec)) {
      const ctr = c.securityContext ?? {};
      const what = `${where} container ${c.name}`;
      if ((ctr.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${what}: runAsNonRoot is not true`);
      if ((ctr.runAsUser ?? pod.runAsUser) === 0) problems.push(`${what}: runAsUser 0`);
      if (ctr.allowPrivilegeEscalation !== false) problems.push(`${what}: allowPrivilegeEscalation is not false`);
      if (!(ctr.capabilities?.drop ?? []).includes('ALL')) problems.push(`${what}: capabilities do not drop ALL`);
      if ((ctr.capabilities?.add ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) problems.push(`${what}: adds capabilities`);
      const seccomp = (ctr.seccompProfile ?? pod.seccompProfile)?.type;
      if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) problems.push(`${what}: seccompProfile is ${seccomp ?? 'unset'}`);
      if (ctr.privileged) problems.push(`${what}: privileged`);
      if ((c.ports ?? []).some((p) => p.hostPort)) problems.push(`${what}: hostPort`);
    }
  }
  return problems;
}

// Every container states CPU and memory requests and limits, each request at
// most its limit (the API server refuses a request above its limit).
export function checkResources(set) {
  const problems = [];
  for (const { owner, template } of podTemplates(allDocs(set))) {
    for (const c of containersOf(template.spec)) {
      const what = `${id(owner)} container ${c.name}`;
      for (const resource of ['cpu', 'memory']) {
        const request = c.resources?.requests?.[resource];
        const limit = c.resources?.limits?.[resource];
        if (request === undefined) problems.push(`${what}: no ${resource} request`);
        if (limit === undefined) problems.push(`${what}: no ${resource} limit`);
        if (request === undefined || limit === undefined) continue;
        let r;
        let l;
        try {
          r = parseQuantity(request);
          l = parseQuantity(limit);
        } catch (e) {
          problems.push(`${what}: ${e.message}`);
          continue;
        }
        if (r > l) problems.push(`${what}: ${resource} request ${request} is above its limit ${limit}`);
        if (r <= 0) problems.push(`${what}: ${resource} request ${request} is not positive`);
      }
    }
  }
  return problems;
}

// THREADS must be set and fit in the CPU limit: 0 picks one thread per core
// of the node, and threads beyond the CFS quota only get throttled.
export function checkThreads(set) {
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const env = environmentOf(allDocs(set), s.container);
  const threads = Number(env.THREADS);
  const limit = s.container.resources?.limits?.cpu;
  if (env.THREADS === undefined || !Number.isInteger(threads) || threads < 1) {
    return [`THREADS is ${env.THREADS ?? 'unset'}; set it to the container's CPU limit (0 uses every core of the node)`];
  }
  if (limit !== undefined && threads > Math.ceil(parseQuantity(limit))) {
    return [`THREADS=${threads} is more than the CPU limit ${limit}`];
  }
  return [];
}

// The replica count the Deployment runs with: its own, or the autoscaler's
// minimum when an HPA owns it.
function effectiveReplicas(docs, deployment) {
  const hpa = ofKind(docs, 'HorizontalPodAutoscaler')
    .find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec?.scaleTargetRef?.name === deployment.metadata?.name);
  return deployment.spec?.replicas ?? hpa?.spec?.minReplicas ?? 1;
}

// The HPA scales an existing Deployment, min <= max, and CPU utilization can
// be computed (it needs a CPU request on every container of the target). A
// Deployment that an HPA scales must not set replicas itself: each apply
// would reset the count the autoscaler chose.
export function checkHpa(set) {
  const problems = [];
  const docs = allDocs(set);
  const hpas = ofKind(docs, 'HorizontalPodAutoscaler');
  if (hpas.length === 0) problems.push('no HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = find(docs, ref.kind, ref.name);
    if (!target) {
      problems.push(`${id(hpa)}: scaleTargetRef ${ref.kind}/${ref.name} does not exist`);
      continue;
    }
    if (ref.apiVersion !== target.apiVersion) {
      problems.push(`${id(hpa)}: scaleTargetRef apiVersion ${ref.apiVersion}, the target is ${target.apiVersion}`);
    }
    const min = hpa.spec?.minReplicas ?? 1;
    const max = hpa.spec?.maxReplicas;
    if (!Number.isInteger(max) || max < 1) problems.push(`${id(hpa)}: maxReplicas ${max} is not a positive integer`);
    if (!Number.isInteger(min) || min < 1) problems.push(`${id(hpa)}: minReplicas ${min} is not a positive integer`);
    if (min > max) problems.push(`${id(hpa)}: minReplicas ${min} is above maxReplicas ${max}`);
    if (target.spec?.replicas !== undefined) {
      problems.push(`${id(target)} sets replicas while ${id(hpa)} scales it; every apply would reset the count`);
    }
    for (const metric of hpa.spec?.metrics ?? []) {
      if (metric.type !== 'Resource') continue;
      const { name, target: t } = metric.resource ?? {};
      if (t?.type === 'Utilization') {
        for (const c of target.spec?.template?.spec?.containers ?? []) {
          if (c.resources?.requests?.[name] === undefined) {
            problems.push(`${id(hpa)}: ${name} utilization needs a ${name} request on container ${c.name}`);
          }
        }
        if (!(t.averageUtilization > 0 && t.averageUtilization <= 100)) {
          problems.push(`${id(hpa)}: averageUtilization ${t.averageUtilization} is not in 1..100`);
        }
      }
    }
  }
  return problems;
}

// The PDB selects the server's pods and leaves room to evict one: a budget
// that allows no eviction blocks every node drain.
export function checkPdb(set) {
  const problems = [];
  const docs = allDocs(set);
  const s = server(docs);
  if (!s) return ['no Deployment has a container named clawbot'];
  const pdbs = ofKind(docs, 'PodDisruptionBudget');
  const labels = podLabels(s.deployment.spec?.template);
  const mine = pdbs.filter((p) => selectorMatches(p.spec?.selector, labels));
  if (mine.length === 0) problems.push(`no PodDisruptionBudget selects ${id(s.deployment)}'s pods`);
  for (const pdb of pdbs) {
    const owners = podTemplates(docs).filter(({ template }) => selectorMatches(pdb.spec?.selector, podLabels(template)));
    if (owners.length === 0) problems.push(`${id(pdb)}: selector matches no workload's pods`);
  }
  const replicas = effectiveReplicas(docs, s.deployment);
  for (const pdb of mine) {
    const { minAvailable, maxUnavailable } = pdb.spec ?? {};
    if ((minAvailable === undefined) === (maxUnavailable === undefined)) {
      problems.push(`${id(pdb)}: set exactly one of minAvailable and maxUnavailable`);
    } else if (minAvailable !== undefined) {
      const min = typeof minAvailable === 'string' ? Math.ceil(replicas * parseFloat(minAvailable) / 100) : minAvailable;
      if (min >= replicas) problems.push(`${id(pdb)}: minAvailable ${minAvailable} of ${replicas} replicas allows no eviction`);
    } else {
      const max = typeof maxUnavailable === 'string' ? Math.floor(replicas * parseFloat(maxUnavailable) / 100) : maxUnavailable;
      if (!(max >= 1)) problems.push(`${id(pdb)}: maxUnavailable ${maxUnavailable} allows no eviction`);
      if (max >= replicas) problems.push(`${id(pdb)}: maxUnavailable ${maxUnavailable} lets every pod go at once`);
    }
  }
  return problems;
}

// Every ConfigMap, Secret and PersistentVolumeClaim a pod refers to exists in
// the set (the Secret may be a template created by hand), with the keys asked
// for. A missing one leaves the pod in CreateContainerConfigError or Pending.
export function checkReferences(set) {
  const problems = [];
  const docs = allDocs(set);
  const claimTemplates = (owner) => (owner.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name);
  const keysOf = (obj) => new Set([...Object.keys(obj?.data ?? {}), ...Object.keys(obj?.stringData ?? {}),
    ...Object.keys(obj?.binaryData ?? {})]);
  const need = (where, kind, name, key) => {
    const obj = find(docs, kind, name);
    if (!obj) problems.push(`${where}: ${kind} ${name} does not exist`);
    else if (key !== undefined && !keysOf(obj).has(key)) problems.push(`${where}: ${kind} ${name} has no key ${key}`);
  };
  for (const { owner, template } of podTemplates(docs)) {
    const spec = template.spec ?? {};
    const where = id(owner);
    const volumeNames = new Set((spec.volumes ?? []).map((v) => v.name));
    for (const v of spec.volumes ?? []) {
      if (v.configMap) {
        need(`${where} volume ${v.name}`, 'ConfigMap', v.configMap.name);
        for (const item of v.configMap.items ?? []) need(`${where} volume ${v.name}`, 'ConfigMap', v.configMap.name, item.key);
      }
      if (v.secret) need(`${where} volume ${v.name}`, 'Secret', v.secret.secretName);
      if (v.persistentVolumeClaim) need(`${where} volume ${v.name}`, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName);
    }
    for (const c of containersOf(spec)) {
      const what = `${where} container ${c.name}`;
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) need(what, 'ConfigMap', from.configMapRef.name);
        if (from.secretRef) need(what, 'Secret', from.secretRef.name);
      }
      for (const e of c.env ?? []) {
        const cmRef = e.valueFrom?.configMapKeyRef;
        const secretRef = e.valueFrom?.secretKeyRef;
        if (cmRef && !cmRef.optional) need(`${what} env ${e.name}`, 'ConfigMap', cmRef.name, cmRef.key);
        if (secretRef && !secretRef.optional) need(`${what} env ${e.name}`, 'Secret', secretRef.name, secretRef.key);
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumeNames.has(m.name) && !claimTemplates(owner).includes(m.name)) {
          problems.push(`${what}: volumeMount ${m.name} names no volume`);
        }
      }
    }
  }
  return problems;
}

const SECRET_KEY = /API_KEY|PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE_KEY/i;

// No ConfigMap holds a key that looks secret, no container sets API_KEY to a
// literal, and the only object that provides API_KEY is a Secret.
export function checkSecretsStayInSecrets(set) {
  const problems = [];
  const docs = allDocs(set);
  for (const cm of ofKind(docs, 'ConfigMap')) {
    for (const key of Object.keys(cm.data ?? {})) {
      if (SECRET_KEY.test(key)) problems.push(`${id(cm)} holds ${key}, which belongs in a Secret`);
    }
    // A key=value file inside a ConfigMap (redis.conf, an env file).
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      if (typeof value === 'string' && /^\s*(requirepass|masterauth|API_KEY\s*=)/im.test(value)) {
        problems.push(`${id(cm)}: ${key} holds a password or key, which belongs in a Secret`);
      }
      // redis://:PASSWORD@host (STORE) and the like.
      if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i.test(value)) {
        problems.push(`${id(cm)}: ${key} is a URL with a password, which belongs in a Secret`);
      }
    }
  }
  for (const { owner, template } of podTemplates(docs)) {
    for (const c of containersOf(template.spec)) {
      for (const e of c.env ?? []) {
        if (SECRET_KEY.test(e.name) && !e.valueFrom?.secretKeyRef) {
          problems.push(`${id(owner)} container ${c.name}: env ${e.name} is not taken from a Secret`);
        }
      }
      if ((c.args ?? []).concat(c.command ?? []).some((a) => /--api-key|requirepass/.test(String(a)))) {
        problems.push(`${id(owner)} container ${c.name}: a secret on the command line`);
      }
    }
  }
  const secret = ofKind(docs, 'Secret').filter((s) => keysOfSecret(s).includes('API_KEY'));
  if (secret.length !== 1) problems.push(`API_KEY must be in exactly one Secret, found ${secret.length}`);
  // The template in the repository must hold a placeholder, never a key.
  for (const s of ofKind(docs, 'Secret')) {
    for (const [key, value] of Object.entries({ ...(s.stringData ?? {}) })) {
      if (!/^replace-me$/.test(String(value))) problems.push(`${id(s)}: ${key} is not the placeholder replace-me`);
    }
    if (Object.keys(s.data ?? {}).length > 0) problems.push(`${id(s)}: data holds real values; use stringData placeholders`);
  }
  return problems;
}

const keysOfSecret = (s) => [...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})];

// Every variable clawbot's ConfigMap sets is a setting the binary knows: an
// unknown name (a typo, or a setting this build lacks) is silently ignored.
export function checkSettingNames(set) {
  if (!set.settings) return ['no settings list from clawbot serve --help'];
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const problems = [];
  for (const from of s.container.envFrom ?? []) {
    const cm = from.configMapRef && find(allDocs(set), 'ConfigMap', from.configMapRef.name);
    for (const key of Object.keys(cm?.data ?? {})) {
      if (!set.settings.has(key)) {
        problems.push(`${id(cm)} sets ${key}, which \`clawbot serve --help\` does not list: the binary would ignore it`);
      }
    }
  }
  for (const e of s.container.env ?? []) {
    if (!set.settings.has(e.name)) problems.push(`clawbot container env ${e.name} is not a clawbot setting`);
  }
  return problems;
}

// The pod's grace period covers the preStop sleep and the whole drain; the
// kubelet SIGKILLs it after that, cutting replies still streaming. The
// preStop sleep is there so that endpoints are gone before the drain starts.
export function checkDrain(set) {
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const problems = [];
  const env = environmentOf(allDocs(set), s.container);
  const drain = env.DRAIN_TIMEOUT_S === undefined ? 30 : Number(env.DRAIN_TIMEOUT_S);
  const sleep = preStopSeconds(s.container);
  const grace = s.deployment.spec?.template?.spec?.terminationGracePeriodSeconds ?? 30;
  if (!Number.isFinite(drain)) problems.push(`DRAIN_TIMEOUT_S "${env.DRAIN_TIMEOUT_S}" is not a number`);
  if (sleep < 1) problems.push('clawbot container has no preStop sleep before SIGTERM');
  if (!(grace > drain + sleep)) {
    problems.push(`terminationGracePeriodSeconds ${grace} does not exceed preStop ${sleep} s + DRAIN_TIMEOUT_S ${drain} s`);
  }
  return problems;
}

// A rolling update starts a new pod before stopping an old one; with both
// maxSurge and maxUnavailable 0 the API server refuses the Deployment.
export function checkRollingUpdate(set) {
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const strategy = s.deployment.spec?.strategy ?? {};
  const problems = [];
  if (strategy.type !== 'RollingUpdate') problems.push(`${id(s.deployment)}: strategy is ${strategy.type ?? 'unset'}, not RollingUpdate`);
  const { maxUnavailable, maxSurge } = strategy.rollingUpdate ?? {};
  if (maxUnavailable !== 0) problems.push(`${id(s.deployment)}: maxUnavailable is ${maxUnavailable ?? 'the default 25%'}, not 0`);
  if (maxSurge === 0 || maxSurge === '0%') problems.push(`${id(s.deployment)}: maxSurge 0 with maxUnavailable 0 can never roll`);
  return problems;
}

// The models are one ReadOnlyMany claim, mounted read-only, and MODEL_PATH
// lies under that mount.
export function checkModelsVolume(set) {
  const docs = allDocs(set);
  const s = server(docs);
  if (!s) return ['no Deployment has a container named clawbot'];
  const problems = [];
  const env = environmentOf(docs, s.container);
  const mount = (s.container.volumeMounts ?? []).find((m) => m.mountPath === '/models');
  if (!mount) return ['clawbot container mounts nothing at /models'];
  if (mount.readOnly !== true) problems.push('the models volume is not mounted readOnly');
  const volume = (s.deployment.spec?.template?.spec?.volumes ?? []).find((v) => v.name === mount.name);
  const claimName = volume?.persistentVolumeClaim?.claimName;
  if (!claimName) return [...problems, 'the models volume is not a PersistentVolumeClaim'];
  const claim = find(docs, 'PersistentVolumeClaim', claimName);
  const modes = claim?.spec?.accessModes ?? [];
  if (!claim) problems.push(`PersistentVolumeClaim ${claimName} does not exist`);
  else if (!(modes.length === 1 && modes[0] === 'ReadOnlyMany')) {
    problems.push(`${id(claim)}: accessModes ${JSON.stringify(modes)}, expected [ReadOnlyMany]`);
  }
  if (claim && !claim.spec?.resources?.requests?.storage) problems.push(`${id(claim)} requests no storage size`);
  if (env.PROVIDER !== 'openai' && !String(env.MODEL_PATH ?? '').startsWith('/models/')) {
    problems.push(`MODEL_PATH ${env.MODEL_PATH} is not under the models mount /models`);
  }
  return problems;
}

// Redis: the StatefulSet's serviceName is a headless Service selecting its
// pods; its data is on a volumeClaimTemplate it mounts; its configuration
// makes a reply mean "fsynced to the append-only file".
export function checkRedis(set) {
  const docs = allDocs(set);
  const problems = [];
  const statefulSets = ofKind(docs, 'StatefulSet');
  if (statefulSets.length === 0) problems.push('no StatefulSet for Redis');
  for (const sts of statefulSets) {
    const svc = find(docs, 'Service', sts.spec?.serviceName);
    if (!svc) {
      problems.push(`${id(sts)}: serviceName ${sts.spec?.serviceName} is not a Service`);
    } else {
      if (svc.spec?.clusterIP !== 'None') problems.push(`${id(sts)}: Service ${svc.metadata.name} is not headless (clusterIP: None)`);
      if (!selectorMatches(svc.spec?.selector, podLabels(sts.spec?.template))) {
        problems.push(`${id(sts)}: Service ${svc.metadata.name} does not select its pods`);
      }
    }
    const claims = (sts.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name);
    if (claims.length === 0) problems.push(`${id(sts)} has no volumeClaimTemplates`);
    const mounted = (sts.spec?.template?.spec?.containers ?? []).flatMap((c) => c.volumeMounts ?? []).map((m) => m.name);
    for (const claim of claims) if (!mounted.includes(claim)) problems.push(`${id(sts)}: claim ${claim} is never mounted`);
    for (const c of sts.spec?.template?.spec?.containers ?? []) {
      if (!c.readinessProbe || !c.livenessProbe) problems.push(`${id(sts)} container ${c.name} lacks a readiness or liveness probe`);
    }
    // The configuration: on the command line, or in a ConfigMap it mounts.
    const texts = (sts.spec?.template?.spec?.containers ?? []).map((c) => [...(c.command ?? []), ...(c.args ?? [])].join(' '));
    for (const v of sts.spec?.template?.spec?.volumes ?? []) {
      const cm = v.configMap && find(docs, 'ConfigMap', v.configMap.name);
      if (cm) texts.push(...Object.values(cm.data ?? {}));
    }
    const config = texts.join('\n');
    if (!/(^|\s|--)appendonly\s+yes\b/m.test(config)) problems.push(`${id(sts)}: Redis runs without appendonly yes`);
    if (!/(^|\s|--)appendfsync\s+always\b/m.test(config)) problems.push(`${id(sts)}: Redis runs without appendfsync always`);
    if (/maxmemory-policy\s+(?!noeviction)\S+/.test(config)) problems.push(`${id(sts)}: Redis may evict conversations (maxmemory-policy)`);
  }
  return problems;
}

// STORE is a redis:// URL whose host is a Service in the set (with the
// namespace's DNS suffix or without) exposing the URL's port, and that
// Service selects the Redis StatefulSet's pods.
export function checkStoreUrl(set) {
  const docs = allDocs(set);
  const s = server(docs);
  if (!s) return ['no Deployment has a container named clawbot'];
  const env = environmentOf(docs, s.container);
  if (!env.STORE) return ['STORE is not set: each pod would keep its own SQLite store'];
  let url;
  try {
    url = new URL(env.STORE);
  } catch {
    return [`STORE ${env.STORE} is not a URL`];
  }
  const problems = [];
  if (url.protocol !== 'redis:') problems.push(`STORE ${env.STORE} is not a redis:// URL`);
  if (!/^\/\d+$/.test(url.pathname)) problems.push(`STORE ${env.STORE} names no database number (/0)`);
  const ns = set.kustomization.namespace;
  const [name, ...rest] = url.hostname.split('.');
  const suffix = rest.join('.');
  if (!['', ns, `${ns}.svc`, `${ns}.svc.cluster.local`].includes(suffix)) {
    return [...problems, `STORE host ${url.hostname} is outside namespace ${ns}`];
  }
  const svc = find(docs, 'Service', name);
  if (!svc) return [...problems, `STORE host ${url.hostname} is not a Service in the set`];
  const port = Number(url.port || 6379);
  if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) problems.push(`STORE port ${port} is not a port of ${id(svc)}`);
  const redis = ofKind(docs, 'StatefulSet').find((sts) => selectorMatches(svc.spec?.selector, podLabels(sts.spec?.template)));
  if (!redis) problems.push(`STORE host ${url.hostname}: ${id(svc)} selects no StatefulSet`);
  return problems;
}

// Ingress backends are Services and ports in the set; streaming and affinity
// annotations for ingress-nginx are there.
export function checkIngress(set) {
  const docs = allDocs(set);
  const problems = [];
  for (const ing of ofKind(docs, 'Ingress')) {
    const backends = [];
    if (ing.spec?.defaultBackend?.service) backends.push(ing.spec.defaultBackend.service);
    for (const rule of ing.spec?.rules ?? []) {
      for (const p of rule.http?.paths ?? []) {
        if (!['Prefix', 'Exact', 'ImplementationSpecific'].includes(p.pathType)) {
          problems.push(`${id(ing)}: path ${p.path} has no valid pathType`);
        }
        if (p.backend?.service) backends.push(p.backend.service);
      }
    }
    if (backends.length === 0) problems.push(`${id(ing)} has no backend`);
    for (const b of backends) {
      const svc = find(docs, 'Service', b.name);
      if (!svc) {
        problems.push(`${id(ing)}: backend Service ${b.name} does not exist`);
        continue;
      }
      const ok = (svc.spec?.ports ?? []).some((p) => (b.port?.name !== undefined ? p.name === b.port.name : p.port === b.port?.number));
      if (!ok) problems.push(`${id(ing)}: backend port ${JSON.stringify(b.port)} is not a port of ${id(svc)}`);
    }
    const a = ing.metadata?.annotations ?? {};
    if (ing.spec?.ingressClassName === 'nginx') {
      if (!/\$http_x_conversation_id|\$clawbot_affinity/.test(a['nginx.ingress.kubernetes.io/upstream-hash-by'] ?? '')) {
        problems.push(`${id(ing)}: no conversation affinity (upstream-hash-by on X-Conversation-Id)`);
      }
      if (a['nginx.ingress.kubernetes.io/proxy-buffering'] !== 'off') problems.push(`${id(ing)}: proxy buffering is on, which holds back SSE`);
    }
    for (const [key, value] of Object.entries(a)) {
      if (typeof value !== 'string') problems.push(`${id(ing)}: annotation ${key} is a ${typeof value}; quote it`);
    }
  }
  return problems;
}

// A NetworkPolicy that selects no pods protects nothing; one whose peers
// match no pods lets nobody in.
export function checkNetworkPolicies(set) {
  const docs = allDocs(set);
  const problems = [];
  const labels = podTemplates(docs).map(({ template }) => podLabels(template));
  for (const np of ofKind(docs, 'NetworkPolicy')) {
    if (!labels.some((l) => selectorMatches(np.spec?.podSelector, l))) problems.push(`${id(np)}: podSelector matches no pods`);
    for (const rule of np.spec?.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector && !labels.some((l) => selectorMatches(peer.podSelector, l))) {
          problems.push(`${id(np)}: from.podSelector ${JSON.stringify(peer.podSelector)} matches no pods`);
        }
      }
    }
  }
  // A policy that guards Redis (selects a StatefulSet's pods) must let in
  // every pod that reads STORE.
  const statefulLabels = ofKind(docs, 'StatefulSet').map((sts) => podLabels(sts.spec?.template));
  const guards = ofKind(docs, 'NetworkPolicy')
    .filter((np) => statefulLabels.some((l) => selectorMatches(np.spec?.podSelector, l)));
  for (const { owner, template } of podTemplates(docs)) {
    const readsStore = containersOf(template.spec).some((c) => environmentOf(docs, c).STORE);
    if (!readsStore) continue;
    for (const np of guards) {
      const allowed = (np.spec?.ingress ?? []).some((rule) => (rule.from ?? []).some((peer) => peer.podSelector &&
        selectorMatches(peer.podSelector, podLabels(template))));
      if (!allowed) problems.push(`${id(np)} keeps ${id(owner)}, which reads STORE, out of Redis`);
    }
  }
  return problems;
}

// The server listens where the pod's port, probes and Service point: on
// every address (not loopback, which the kubelet and other pods cannot
// reach) and on the port the container declares.
export function checkListenAddress(set) {
  const s = server(allDocs(set));
  if (!s) return ['no Deployment has a container named clawbot'];
  const env = environmentOf(allDocs(set), s.container);
  const problems = [];
  const host = env.HOST ?? '127.0.0.1';
  if (/^(127\.|localhost$|::1$|\[::1\]$)/.test(host)) {
    problems.push(`HOST ${host} is loopback: probes and the Service cannot reach the server`);
  }
  const port = Number(env.PORT ?? 18789);
  const declared = (s.container.ports ?? []).map((p) => p.containerPort);
  if (!declared.includes(port)) problems.push(`the server listens on PORT ${port}, the container declares ${declared.join(', ') || 'no port'}`);
  return problems;
}

// All checks, by name, for the test to run one by one.
export const CHECKS = {
  checkKustomization,
  checkDocumentShape,
  checkWorkloadSelectors,
  checkServices,
  checkProbes,
  checkServerSecurity,
  checkPodSecurityRestricted,
  checkResources,
  checkThreads,
  checkHpa,
  checkPdb,
  checkReferences,
  checkSecretsStayInSecrets,
  checkSettingNames,
  checkListenAddress,
  checkDrain,
  checkRollingUpdate,
  checkModelsVolume,
  checkRedis,
  checkStoreUrl,
  checkIngress,
  checkNetworkPolicies,
};
