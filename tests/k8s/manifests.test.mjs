// deploy/k8s parsed and checked for what a cluster would refuse or silently
// get wrong (checks.mjs). Every check must pass on the real manifests, and
// every check must catch a deliberately broken copy of them, so that none
// can pass by looking at nothing.
//
// Environment: CLAWBOT_BIN, the binary whose `serve --help` lists the setting
// names the ConfigMap may use (ctest sets it; build/clawbot otherwise).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  API_VERSIONS, CHECKS, loadManifestSet, parseQuantity, parseYamlDocuments,
  podTemplates, preStopSeconds, selectorMatches, settingsFromHelp,
} from './checks.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const k8sDir = path.join(repo, 'deploy/k8s');

function clawbotBinary() {
  if (process.env.CLAWBOT_BIN) return process.env.CLAWBOT_BIN;
  const fallback = path.join(repo, 'build/clawbot');
  return fs.existsSync(fallback) ? fallback : null;
}

function loadSettings() {
  const bin = clawbotBinary();
  if (!bin) return null;
  const help = execFileSync(bin, ['serve', '--help'], { encoding: 'utf8' });
  const settings = settingsFromHelp(help);
  assert.ok(settings.size >= 10, `${bin} serve --help lists only ${settings.size} [env NAME] settings`);
  return settings;
}

const manifests = loadManifestSet(k8sDir);
manifests.settings = loadSettings();

function runCheck(name, set) {
  return CHECKS[name](set);
}

// ------------------------------------------------------- helpers themselves --

test('quantities are read as Kubernetes reads them', () => {
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('2'), 2);
  assert.equal(parseQuantity(2), 2);
  assert.equal(parseQuantity('1.5'), 1.5);
  assert.equal(parseQuantity('512Mi'), 512 * 1024 ** 2);
  assert.equal(parseQuantity('1Gi'), 1024 ** 3);
  assert.equal(parseQuantity('1G'), 1e9);
  assert.equal(parseQuantity('128k'), 128000);
  assert.equal(parseQuantity('1e3'), 1000);
  assert.ok(parseQuantity('1500Mi') < parseQuantity('2Gi'));
  assert.ok(parseQuantity('2Gi') > parseQuantity('2G'));
  for (const bad of ['1GB', '2 Gi', 'Mi', '', 'one', '1.2.3']) {
    assert.throws(() => parseQuantity(bad), /not a quantity/, bad);
  }
});

test('label selectors match as the API server matches them', () => {
  const labels = { app: 'a', tier: 'web' };
  assert.ok(selectorMatches({ app: 'a' }, labels));
  assert.ok(selectorMatches({ matchLabels: { app: 'a', tier: 'web' } }, labels));
  assert.ok(!selectorMatches({ matchLabels: { app: 'b' } }, labels));
  assert.ok(!selectorMatches({ matchLabels: { app: 'a', extra: 'x' } }, labels));
  assert.ok(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] }, labels));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels));
  assert.ok(!selectorMatches({ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, labels));
  assert.ok(!selectorMatches({}, labels), 'an empty selector selects nothing in these checks');
});

test('YAML is read with the 1.1 rules kubectl uses', () => {
  const [doc] = parseYamlDocuments('a: yes\nb: "yes"\nc: 0755\nd: on\n', 'inline');
  assert.deepEqual(doc, { a: true, b: 'yes', c: 493, d: true });
  assert.throws(() => parseYamlDocuments('a: 1\na: 2\n', 'dup.yaml'), /dup\.yaml/);
});

test('preStop sleeps are measured', () => {
  assert.equal(preStopSeconds({ lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } }), 5);
  assert.equal(preStopSeconds({ lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 7'] } } } }), 7);
  assert.equal(preStopSeconds({ lifecycle: { preStop: { sleep: { seconds: 3 } } } }), 3);
  assert.equal(preStopSeconds({}), 0);
});

// -------------------------------------------------------- the real manifests --

test('deploy/k8s holds the objects the issue asks for', () => {
  const kinds = manifests.docs.filter((d) => d.applied).map((d) => d.doc.kind);
  for (const kind of ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'PersistentVolumeClaim',
    'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'StatefulSet']) {
    assert.ok(kinds.includes(kind), `no ${kind} is applied`);
  }
  assert.ok(manifests.docs.some((d) => d.doc.kind === 'Secret' && !d.applied),
    'the Secret template (secret.example.yaml) is missing');
  for (const { doc } of manifests.docs) assert.ok(doc.kind in API_VERSIONS, `${doc.kind} is not checked`);
  assert.ok(podTemplates(manifests.docs.map((d) => d.doc)).length >= 3);
});

for (const name of Object.keys(CHECKS)) {
  test(`${name}: deploy/k8s passes`, () => {
    if (name === 'checkSettingNames') {
      assert.ok(manifests.settings, 'no clawbot binary to list its settings: set CLAWBOT_BIN (ctest does)');
    }
    assert.deepEqual(runCheck(name, manifests), []);
  });
}


// ------------------------------------------------ the checks catch breakage --

const doc = (set, kind, name) => {
  const found = set.docs.find((d) => d.doc.kind === kind && (name === undefined || d.doc.metadata.name === name));
  assert.ok(found, `the fixture needs ${kind}/${name ?? '*'}`);
  return found.doc;
};
const server = (set) => doc(set, 'Deployment', 'clawbot').spec.template.spec.containers.find((c) => c.name === 'clawbot');
const config = (set) => doc(set, 'ConfigMap', 'clawbot-config').data;
const redisConf = (set) => doc(set, 'ConfigMap', 'clawbot-redis-config').data;

// Help text of a binary that knows the settings the manifests use, so these
// cases do not depend on which binary is built.
const CANNED_HELP = Object.keys(config(manifests)).concat('API_KEY').map((n) => `  --x TEXT  y [env ${n}]`).join('\n');

// [check, what is broken, mutation of a copy of the manifests, problem expected]
const BREAKAGES = [
  ['checkKustomization', 'a YAML file not listed', (s) => { s.yamlFiles.push('extra.yaml'); }, /extra\.yaml is not listed/],
  ['checkKustomization', 'a listed file missing', (s) => { s.kustomization.resources.push('gone.yaml'); }, /gone\.yaml, which does not exist/],
  ['checkKustomization', 'the Secret template applied', (s) => { s.kustomization.resources.push('secret.example.yaml'); }, /applies the template/],
  ['checkKustomization', 'an image name the transformer misses', (s) => { server(s).image = 'clawbott'; }, /"clawbott" with no tag/],
  ['checkDocumentShape', 'a removed API version', (s) => { doc(s, 'HorizontalPodAutoscaler').apiVersion = 'autoscaling/v2beta2'; }, /the current one is autoscaling\/v2/],
  ['checkDocumentShape', 'a document without a name', (s) => { delete doc(s, 'PodDisruptionBudget').metadata.name; }, /has no metadata\.name/],
  ['checkDocumentShape', 'unquoted yes and a number in a ConfigMap', (s) => {
    const cm = doc(s, 'ConfigMap', 'clawbot-config');
    Object.assign(cm.data, parseYamlDocuments('METRICS_PUBLIC: no\nPORT: 18789\n', 'inline')[0]);
  }, /data\.METRICS_PUBLIC is a boolean/],
  ['checkDocumentShape', 'a port name over 15 characters', (s) => {
    server(s).ports[0].name = 'clawbot-http-api';
  }, /not an IANA service name/],
  ['checkWorkloadSelectors', 'a selector that misses its template', (s) => {
    doc(s, 'Deployment', 'clawbot').spec.template.metadata.labels['app.kubernetes.io/component'] = 'web';
  }, /not a label of its pod template/],
  ['checkServices', 'a Service selecting no pods', (s) => {
    doc(s, 'Deployment', 'clawbot').spec.template.metadata.labels['app.kubernetes.io/component'] = 'web';
  }, /Service\/clawbot: selector .* matches no workload's pods/],
  ['checkServices', 'a targetPort no container has', (s) => { doc(s, 'Service', 'clawbot').spec.ports[0].targetPort = 'htpp'; }, /targetPort htpp/],
  ['checkProbes', 'a probe on a missing port', (s) => { server(s).readinessProbe.httpGet.port = 'metrics'; }, /readinessProbe port metrics is not a port/],
  ['checkProbes', 'liveness on /readyz', (s) => { server(s).livenessProbe.httpGet.path = '/readyz'; }, /livenessProbe must be an httpGet on \/healthz/],
  ['checkProbes', 'no readiness probe', (s) => { delete server(s).readinessProbe; }, /has no readinessProbe/],
  ['checkServerSecurity', 'a writable root filesystem', (s) => { server(s).securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem/],
  ['checkServerSecurity', 'capabilities kept', (s) => { server(s).securityContext.capabilities.drop = ['NET_RAW']; }, /drop ALL/],
  ['checkPodSecurityRestricted', 'a pod running as root', (s) => {
    const sts = doc(s, 'StatefulSet');
    sts.spec.template.spec.securityContext.runAsNonRoot = false;
    delete sts.spec.template.spec.containers[0].securityContext.runAsNonRoot;
  }, /runAsNonRoot is not true/],
  ['checkResources', 'a request above its limit', (s) => { server(s).resources.requests.memory = '4Gi'; }, /memory request 4Gi is above its limit 3Gi/],
  ['checkResources', 'no CPU limit', (s) => { delete doc(s, 'Job').spec.template.spec.containers[0].resources.limits.cpu; }, /no cpu limit/],
  ['checkThreads', 'THREADS 0 (every core of the node)', (s) => { config(s).THREADS = '0'; }, /THREADS is 0/],
  ['checkThreads', 'more threads than CPUs', (s) => { config(s).THREADS = '8'; }, /THREADS=8 is more than the CPU limit/],
  ['checkHpa', 'an HPA scaling nothing', (s) => { doc(s, 'HorizontalPodAutoscaler').spec.scaleTargetRef.name = 'clawbot-server'; }, /does not exist/],
  ['checkHpa', 'minReplicas above maxReplicas', (s) => { doc(s, 'HorizontalPodAutoscaler').spec.minReplicas = 20; }, /minReplicas 20 is above maxReplicas/],
  ['checkHpa', 'replicas fixed under an HPA', (s) => { doc(s, 'Deployment', 'clawbot').spec.replicas = 3; }, /sets replicas while/],
  ['checkPdb', 'a PDB selecting other pods', (s) => {
    doc(s, 'PodDisruptionBudget').spec.selector.matchLabels['app.kubernetes.io/component'] = 'web';
  }, /no PodDisruptionBudget selects/],
  ['checkPdb', 'a PDB that allows no eviction', (s) => {
    const spec = doc(s, 'PodDisruptionBudget').spec;
    delete spec.maxUnavailable;
    spec.minAvailable = 3;
  }, /minAvailable 3 of 3 replicas allows no eviction/],
  ['checkReferences', 'a secretKeyRef to a missing key', (s) => {
    server(s).env.find((e) => e.name === 'API_KEY').valueFrom.secretKeyRef.key = 'APIKEY';
  }, /has no key APIKEY/],
  ['checkReferences', 'a missing ConfigMap', (s) => { server(s).envFrom[0].configMapRef.name = 'clawbot-settings'; }, /ConfigMap clawbot-settings does not exist/],
  ['checkReferences', 'a missing claim', (s) => {
    doc(s, 'Deployment', 'clawbot').spec.template.spec.volumes.find((v) => v.name === 'models')
      .persistentVolumeClaim.claimName = 'models';
  }, /PersistentVolumeClaim models does not exist/],
  ['checkSecretsStayInSecrets', 'API_KEY in a ConfigMap', (s) => { config(s).API_KEY = 'sk-live-123'; }, /holds API_KEY, which belongs in a Secret/],
  ['checkSecretsStayInSecrets', 'a password in a ConfigMap', (s) => { config(s).REDIS_PASSWORD = 'hunter2'; }, /holds REDIS_PASSWORD/],
  ['checkSecretsStayInSecrets', 'a Redis password in STORE', (s) => {
    config(s).STORE = 'redis://:hunter2@clawbot-redis:6379/0';
  }, /STORE is a URL with a password/],
  ['checkSecretsStayInSecrets', 'API_KEY as a literal env value', (s) => {
    server(s).env = [{ name: 'API_KEY', value: 'sk-live-123' }];
  }, /env API_KEY is not taken from a Secret/],
  ['checkSecretsStayInSecrets', 'a real key in the template', (s) => { doc(s, 'Secret').stringData.API_KEY = 'sk-live-123'; }, /not the placeholder/],
  ['checkSettingNames', 'a setting the binary does not know', (s) => {
    s.settings = settingsFromHelp(CANNED_HELP);
    config(s).THREAD = '2';
  }, /sets THREAD, which `clawbot serve --help` does not list/],
  ['checkListenAddress', 'a loopback HOST', (s) => { config(s).HOST = '127.0.0.1'; }, /HOST 127\.0\.0\.1 is loopback/],
  ['checkListenAddress', 'PORT unlike the container port', (s) => { config(s).PORT = '8080'; }, /listens on PORT 8080, the container declares 18789/],
  ['checkDrain', 'a drain longer than the grace period', (s) => { config(s).DRAIN_TIMEOUT_S = '60'; }, /does not exceed preStop 5 s \+ DRAIN_TIMEOUT_S 60 s/],
  ['checkDrain', 'no preStop sleep', (s) => { delete server(s).lifecycle; }, /no preStop sleep/],
  ['checkRollingUpdate', 'an update that lowers capacity', (s) => {
    doc(s, 'Deployment', 'clawbot').spec.strategy.rollingUpdate.maxUnavailable = 1;
  }, /maxUnavailable is 1, not 0/],
  ['checkModelsVolume', 'a ReadWriteOnce models claim', (s) => {
    doc(s, 'PersistentVolumeClaim', 'clawbot-models').spec.accessModes = ['ReadWriteOnce'];
  }, /expected \[ReadOnlyMany\]/],
  ['checkModelsVolume', 'a writable models mount', (s) => {
    server(s).volumeMounts.find((m) => m.mountPath === '/models').readOnly = false;
  }, /not mounted readOnly/],
  ['checkModelsVolume', 'MODEL_PATH outside the mount', (s) => { config(s).MODEL_PATH = '/var/lib/model.gguf'; }, /not under the models mount/],
  ['checkRedis', 'a Redis Service with a cluster IP', (s) => { delete doc(s, 'Service', 'clawbot-redis').spec.clusterIP; }, /not headless/],
  ['checkRedis', 'fsync once a second', (s) => {
    const conf = redisConf(s);
    conf['redis.conf'] = conf['redis.conf'].replace('appendfsync always', 'appendfsync everysec');
  }, /without appendfsync always/],
  ['checkRedis', 'serviceName naming no Service', (s) => { doc(s, 'StatefulSet').spec.serviceName = 'redis'; }, /serviceName redis is not a Service/],
  ['checkStoreUrl', 'a STORE host that is no Service', (s) => { config(s).STORE = 'redis://clawbot-redsi:6379/0'; }, /clawbot-redsi is not a Service/],
  ['checkStoreUrl', 'a STORE port the Service lacks', (s) => { config(s).STORE = 'redis://clawbot-redis:6380/0'; }, /port 6380 is not a port/],
  ['checkStoreUrl', 'no STORE', (s) => { delete config(s).STORE; }, /STORE is not set/],
  ['checkIngress', 'a backend port the Service lacks', (s) => {
    doc(s, 'Ingress').spec.rules[0].http.paths[0].backend.service.port = { name: 'web' };
  }, /backend port .*web/],
  ['checkIngress', 'buffered SSE', (s) => {
    doc(s, 'Ingress').metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering'] = 'on';
  }, /proxy buffering is on/],
  ['checkNetworkPolicies', 'clawbot kept out of Redis', (s) => {
    doc(s, 'NetworkPolicy').spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/name'] = 'clawbot-server';
  }, /matches no pods/],
];

function brokenCopy(mutate) {
  const copy = structuredClone(manifests);
  mutate(copy);
  return copy;
}

for (const [check, what, mutate, expected] of BREAKAGES) {
  test(`${check} catches ${what}`, () => {
    // The problem must come from the breakage, not be there already.
    const before = { ...manifests, settings: manifests.settings ?? settingsFromHelp(CANNED_HELP) };
    assert.ok(!runCheck(check, before).some((p) => expected.test(p)), 'the unbroken manifests already show it');
    const problems = runCheck(check, brokenCopy(mutate));
    assert.ok(problems.some((p) => expected.test(p)),
      `expected a problem matching ${expected}, got:\n  ${problems.join('\n  ') || '(none)'}`);
  });
}

test('every check has at least one breakage it is shown to catch', () => {
  const covered = new Set(BREAKAGES.map(([check]) => check));
  assert.deepEqual(Object.keys(CHECKS).filter((c) => !covered.has(c)), []);
});
