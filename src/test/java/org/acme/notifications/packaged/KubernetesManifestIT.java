package org.acme.notifications.packaged;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/** The manifests a user applies, read offline with the fabric8 model (no API server can run here). */
class KubernetesManifestIT {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    @Test
    void generatedDeploymentScalesOutWithAConsumerGroupPerPod() throws IOException {
        List<HasMetadata> resources = read(Files.newInputStream(Path.of("kubernetes", "base", "generated", "kubernetes.yml")));
        Deployment deployment = only(resources, Deployment.class);
        Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);

        assertThat(deployment.getSpec().getReplicas(), greaterThanOrEqualTo(2));
        // The service migrates the inbox's schema itself: no init Job for pods to wait on (they deliver without the database).
        assertThat(resources.stream().map(HasMetadata::getKind).toList(), not(hasItems("Job")));
        assertThat(deployment.getSpec().getTemplate().getSpec().getInitContainers(), empty());
        assertThat(container.getPorts().get(0).getContainerPort(), equalTo(8080));
        assertThat(container.getLivenessProbe().getHttpGet().getPath(), equalTo("/q/health/live"));
        assertThat(container.getReadinessProbe().getHttpGet().getPath(), equalTo("/q/health/ready"));
        assertThat(container.getStartupProbe().getHttpGet().getPath(), equalTo("/q/health/started"));
        assertThat(container.getResources().getRequests().get("memory"), notNullValue());
        assertThat(container.getResources().getLimits().get("memory"), notNullValue());

        EnvVar instanceId = container.getEnv().stream().filter(e -> e.getName().equals("NOTIFICATIONS_INSTANCE_ID")).findFirst().orElseThrow();
        assertThat(instanceId.getValueFrom().getFieldRef().getFieldPath(), equalTo("metadata.name"));
        assertThat(container.getEnvFrom().stream().map(e -> e.getConfigMapRef() != null ? e.getConfigMapRef().getName() : e.getSecretRef().getName()).toList(),
                hasItems("notifications-config", "notifications-secrets"));
        for (String credential : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD")) {
            EnvVar fromSecret = container.getEnv().stream().filter(e -> e.getName().equals(credential)).findFirst().orElseThrow();
            assertThat(fromSecret.getValueFrom().getSecretKeyRef().getName(), equalTo("notifications-postgres-app"));
        }

        Service service = only(resources, Service.class);
        assertThat(service.getSpec().getPorts().get(0).getTargetPort().getIntVal(), equalTo(8080));
    }

    @Test
    void kustomizationAddsKafkaTopicsAndADisruptionBudget() throws Exception {
        String rendered = kustomize("kubernetes");
        List<String> kinds = read(rendered).stream().map(HasMetadata::getKind).toList();
        assertThat(kinds, hasItems("Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "Kafka", "KafkaNodePool", "KafkaTopic",
                "Cluster"));
        assertThat(kinds.stream().filter("KafkaTopic"::equals).count(), equalTo(3L));
        assertTrue(rendered.contains("topologySpreadConstraints"));
    }

    @Test
    void nativePodsGetHeapAndProcessorsMatchingTheirLimits() throws Exception {
        Container container = only(read(kustomize("kubernetes/native")), Deployment.class)
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getImage(), endsWith("-native"));
        // The executable sees neither limit, so both are given to it: heap at half the memory limit.
        long memoryLimit = Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).longValueExact();
        assertThat(container.getArgs(), hasItems("-Xmx" + memoryLimit / 2 / 1024 / 1024 + "m",
                "-XX:ActiveProcessorCount=" + container.getResources().getLimits().get("cpu").getAmount()));
    }

    /**
     * One host for the page, the API, the socket and the event stream, over TLS, to the Service's port; the socket's
     * and the stream's paths wait longer than the pings and keep-alives that keep them open, unbuffered; forwarded
     * headers trusted from the cluster's own addresses only.
     */
    @ParameterizedTest
    @ValueSource(strings = {"kubernetes", "kubernetes/native"})
    void theIngressServesEveryPathAndKeepsLongLivedConnectionsOpen(String dir) throws Exception {
        List<HasMetadata> resources = read(kustomize(dir));
        List<Ingress> ingresses = resources.stream().filter(Ingress.class::isInstance).map(Ingress.class::cast).toList();
        Service service = only(resources, Service.class);
        Map<String, Ingress> byPath = new HashMap<>();
        for (Ingress ingress : ingresses) {
            assertThat(ingress.getSpec().getIngressClassName(), equalTo("nginx"));
            assertThat(ingress.getSpec().getTls(), not(empty()));
            for (IngressRule rule : ingress.getSpec().getRules()) {
                assertThat(ingress.getSpec().getTls().get(0).getHosts(), hasItems(rule.getHost()));
                for (HTTPIngressPath path : rule.getHttp().getPaths()) {
                    assertThat(path.getBackend().getService().getName(), equalTo(service.getMetadata().getName()));
                    assertThat(path.getBackend().getService().getPort().getName(), equalTo(service.getSpec().getPorts().get(0).getName()));
                    byPath.put(path.getPath(), ingress);
                }
            }
        }
        assertThat(byPath.keySet(), hasItems("/", "/ws/", "/sse/"));
        for (String longLived : List.of("/ws/", "/sse/")) {
            Map<String, String> annotations = byPath.get(longLived).getMetadata().getAnnotations();
            // Twice the socket's ping interval (30 s) and the stream's keep-alive (20 s) at least.
            assertThat(Integer.parseInt(annotations.get("nginx.ingress.kubernetes.io/proxy-read-timeout")), greaterThanOrEqualTo(60));
            assertThat(Integer.parseInt(annotations.get("nginx.ingress.kubernetes.io/proxy-send-timeout")), greaterThanOrEqualTo(60));
            assertThat(annotations.get("nginx.ingress.kubernetes.io/proxy-buffering"), equalTo("off"));
        }
        ConfigMap config = resources.stream().filter(ConfigMap.class::isInstance).map(ConfigMap.class::cast)
                .filter(map -> map.getMetadata().getName().equals("notifications-config")).findFirst().orElseThrow();
        assertThat(config.getData().get("QUARKUS_HTTP_PROXY_TRUSTED_PROXIES"), not(emptyOrNullString()));
        assertThat(config.getData().get("QUARKUS_HTTP_PROXY_TRUSTED_PROXIES"), not(containsString("0.0.0.0/0")));
    }

    /** {@code kubectl kustomize DIR}: what {@code kubectl apply -k DIR} would send. */
    private static String kustomize(String dir) throws IOException, InterruptedException {
        Process kustomize;
        try {
            kustomize = new ProcessBuilder("kubectl", "kustomize", dir).redirectErrorStream(true).start();
        } catch (IOException noKubectl) {
            if (System.getenv("CI") != null) {
                fail("kubectl is needed to render " + dir);
            }
            abort("kubectl is not installed");
            return null;
        }
        String rendered = new String(kustomize.getInputStream().readAllBytes());
        assertThat(rendered, kustomize.waitFor(), equalTo(0));
        return rendered;
    }

    private static List<HasMetadata> read(String yaml) {
        return read(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<HasMetadata> read(InputStream yaml) {
        Object parsed = YAML.unmarshal(yaml);
        return parsed instanceof List<?> list ? list.stream().map(HasMetadata.class::cast).toList() : List.of((HasMetadata) parsed);
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> resources, Class<T> type) {
        List<T> matching = resources.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(type.getSimpleName() + " count", matching.size(), equalTo(1));
        return matching.get(0);
    }
}
