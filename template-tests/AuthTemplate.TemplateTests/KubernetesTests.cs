using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace AuthTemplate.TemplateTests;

/// <summary>
/// The Kubernetes manifests of each Docker variant, checked without a cluster: kubectl renders the kustomization,
/// kubernetes-models validates every object against the API schemas (plus a check of its own for unknown fields), and
/// each policy the manifests promise is asserted on the rendered objects, against the generated app where it can be.
/// </summary>
public sealed partial class KubernetesTests
{
    /// <summary>
    /// The user the image runs as: the Dockerfile says <c>USER $APP_UID</c>, and the .NET images define APP_UID as 1654
    /// (their unprivileged <c>app</c> user).
    /// </summary>
    const long ImageUserId = 1654;

    [Theory]
    [MemberData(nameof(Variants.WithoutDocker), MemberType = typeof(Variants))]
    public async Task Without_docker_there_are_no_kubernetes_manifests(Variant variant)
    {
        var files = (await TemplateRun.Current.Generated(variant)).Files;

        Assert.DoesNotContain(files.Paths, path => path.StartsWith("deploy/", StringComparison.Ordinal));
        Assert.DoesNotContain("kubernetes", files.ReadText("README.md"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("kubectl", files.ReadText("README.md"), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_kustomization_renders_every_object_named_after_the_project(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);

        Assert.Equal(["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Service"],
            rendered.Objects.Select(o => (string)o["kind"]!).Order(StringComparer.Ordinal));
        var prefix = KubernetesName(variant.Name) + "-";
        Assert.All(rendered.Objects, o => Assert.StartsWith(prefix, (string)o["metadata"]!["name"]!, StringComparison.Ordinal));
        Assert.All(rendered.Objects, o => Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", (string)o["metadata"]!["name"]!));
        Assert.DoesNotContain("auth-template", rendered.Render.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Every_object_and_the_example_secrets_validate_against_the_kubernetes_schemas(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var examples = ExampleSecrets(rendered);

        var validation = await KubernetesManifests.ValidateAsync([.. rendered.Objects, .. examples]);

        Assert.True(validation.Succeeded && validation.StandardOutput.Trim().Length == 0,
            validation.Describe($"[{variant.Scenario}] kubernetes-models found problems in the rendered manifests."));
    }

    [Fact]
    public async Task The_schema_validation_refuses_a_wrong_type_and_an_unknown_field()
    {
        var rendered = await KubernetesManifests.Rendered(Variants.Find("default"));
        var deployment = rendered.Single("Deployment");

        var wrongType = KubernetesManifests.Clone(deployment);
        wrongType["spec"]!["replicas"] = "two";
        var unknownField = KubernetesManifests.Clone(deployment);
        unknownField["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolcy"] = "Always";
        var unknownTopLevelField = KubernetesManifests.Clone(deployment);
        unknownTopLevelField["specification"] = new JsonObject();

        var valid = await KubernetesManifests.ValidateAsync([deployment]);
        var typeResult = await KubernetesManifests.ValidateAsync([wrongType]);
        var fieldResult = await KubernetesManifests.ValidateAsync([unknownField]);
        var topLevelResult = await KubernetesManifests.ValidateAsync([unknownTopLevelField]);

        Assert.True(valid.Succeeded, valid.Describe("The unchanged Deployment should validate."));
        Assert.False(typeResult.Succeeded, typeResult.Describe("A string for spec.replicas was accepted."));
        Assert.Contains("/spec/replicas must be integer", typeResult.StandardOutput);
        Assert.False(fieldResult.Succeeded, fieldResult.Describe("An unknown container field was accepted."));
        Assert.Contains("unknown field /spec/template/spec/containers/0/imagePullPolcy", fieldResult.StandardOutput);
        Assert.False(topLevelResult.Succeeded, topLevelResult.Describe("An unknown top-level field was accepted."));
        Assert.Contains("unknown field /specification", topLevelResult.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Pods_run_as_the_images_unprivileged_user(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var dockerfile = new Dockerfile(rendered.Generated.Files.ReadText("Dockerfile"));
        Assert.Equal("USER $APP_UID", Assert.Single(dockerfile.FinalStage, i => i.StartsWith("USER ", StringComparison.Ordinal)));

        Assert.Equal(2, rendered.PodSpecs.Count());
        foreach (var (kind, pod) in rendered.PodSpecs)
        {
            var security = pod["securityContext"]!;
            Assert.True((bool?)security["runAsNonRoot"] == true, $"{kind}: runAsNonRoot");
            Assert.Equal(ImageUserId, (long?)security["runAsUser"]);
            Assert.NotEqual(0L, (long?)security["runAsGroup"] ?? 0L);
            Assert.True((bool?)pod["automountServiceAccountToken"] == false, $"{kind}: the service account token is mounted");
        }
        foreach (var (kind, container) in rendered.Containers)
        {
            var security = container["securityContext"]!;
            Assert.True((bool?)security["allowPrivilegeEscalation"] == false, $"{kind}: allowPrivilegeEscalation");
            Assert.NotEqual(false, (bool?)security["runAsNonRoot"]);
            Assert.Null(security["runAsUser"]);
            Assert.Null(security["privileged"]);
        }
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_root_file_system_is_read_only_and_only_an_empty_dir_at_tmp_is_writable(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);

        foreach (var (kind, pod) in rendered.PodSpecs)
        {
            var volumes = pod["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!.AsObject());
            foreach (var container in pod["containers"]!.AsArray())
            {
                Assert.True((bool?)container!["securityContext"]!["readOnlyRootFilesystem"] == true, $"{kind}: readOnlyRootFilesystem");
                var writable = container["volumeMounts"]!.AsArray().Where(m => (bool?)m!["readOnly"] != true).ToList();
                var tmp = Assert.Single(writable);
                Assert.Equal("/tmp", (string?)tmp!["mountPath"]);
                Assert.NotNull(volumes[(string)tmp["name"]!]["emptyDir"]);
                // The rehearsal in DockerTests runs the app with TMPDIR as its only writable place; here it is /tmp.
                Assert.DoesNotContain(container["env"]!.AsArray(), e => (string?)e!["name"] == "TMPDIR");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Every_capability_is_dropped_under_the_runtimes_seccomp_profile(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);

        foreach (var (kind, pod) in rendered.PodSpecs)
            Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        foreach (var (kind, container) in rendered.Containers)
        {
            var capabilities = container["securityContext"]!["capabilities"]!;
            Assert.Equal(["ALL"], capabilities["drop"]!.AsArray().Select(c => (string)c!));
            Assert.Null(capabilities["add"]);
        }
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Probes_ask_health_paths_the_app_serves_on_the_port_it_listens_on(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var served = HealthPaths(rendered.Generated.Files);
        var dockerfile = new Dockerfile(rendered.Generated.Files.ReadText("Dockerfile"));
        var listening = long.Parse(dockerfile.Environment["ASPNETCORE_HTTP_PORTS"], CultureInfo.InvariantCulture);
        var container = rendered.Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;

        Assert.Equal(["/health/live", "/health/ready"], served.Order(StringComparer.Ordinal));
        var probes = new Dictionary<string, string> { ["startupProbe"] = "/health/live", ["livenessProbe"] = "/health/live", ["readinessProbe"] = "/health/ready" };
        var port = Assert.Single(container["ports"]!.AsArray());
        Assert.Equal(listening, (long?)port!["containerPort"]);
        foreach (var (probe, path) in probes)
        {
            var httpGet = container[probe]?["httpGet"];
            Assert.True(httpGet is not null, $"{probe} is missing or not an HTTP probe");
            Assert.Equal(path, (string?)httpGet["path"]);
            Assert.Contains((string)httpGet["path"]!, served);
            Assert.Equal((string?)port["name"], (string?)httpGet["port"]);
        }
        var service = rendered.Single("Service")["spec"]!;
        Assert.Equal("ClusterIP", (string?)service["type"]);
        var servicePort = Assert.Single(service["ports"]!.AsArray());
        Assert.Equal("http", (string?)servicePort!["name"]);
        Assert.Equal((string?)port["name"], (string?)servicePort["targetPort"]);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Resources_are_requested_and_limited_above_the_benchmarks_peak_memory(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var peakBytes = BenchmarkPeakMegabytes() * 1_000_000;

        foreach (var (kind, container) in rendered.Containers)
        {
            var resources = container["resources"]!;
            foreach (var part in new[] { "requests", "limits" })
            foreach (var resource in new[] { "cpu", "memory" })
                Assert.True(resources[part]?[resource] is not null, $"{kind}: resources.{part}.{resource} is not set");
            var memoryRequest = KubernetesManifests.Quantity((string)resources["requests"]!["memory"]!);
            var memoryLimit = KubernetesManifests.Quantity((string)resources["limits"]!["memory"]!);
            Assert.True(memoryRequest >= peakBytes, $"{kind}: a memory request of {memoryRequest / 1e6:F0} MB is below the benchmark's peak of {peakBytes / 1e6:F0} MB");
            Assert.True(memoryLimit >= memoryRequest, $"{kind}: the memory limit is below the request");
            Assert.True(KubernetesManifests.Quantity((string)resources["limits"]!["cpu"]!) >= KubernetesManifests.Quantity((string)resources["requests"]!["cpu"]!), $"{kind}: the CPU limit is below the request");
        }
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Images_name_a_version_never_latest_or_none(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);

        foreach (var (kind, container) in rendered.Containers)
        {
            var image = (string)container["image"]!;
            var lastSegment = image[(image.LastIndexOf('/') + 1)..];
            var tag = lastSegment.Contains(':', StringComparison.Ordinal) ? lastSegment[(lastSegment.IndexOf(':') + 1)..] : null;
            Assert.True(tag is not null || image.Contains("@sha256:", StringComparison.Ordinal), $"{kind}: image {image} has neither a tag nor a digest");
            Assert.NotEqual("latest", tag);
            Assert.NotEqual("Always", (string?)container["imagePullPolicy"]);
        }
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task No_secret_value_is_written_in_the_manifests(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var settings = rendered.Single("ConfigMap")["data"]!.AsObject();

        Assert.Empty(rendered.OfKind("Secret"));
        foreach (var (name, value) in settings)
        {
            Assert.DoesNotMatch(SecretSetting(), name);
            Assert.DoesNotMatch(SecretValue(), (string?)value ?? "");
        }
        var secretReferences = new List<(string Secret, string Key)>();
        foreach (var (kind, pod) in rendered.PodSpecs)
        {
            var secretMounts = pod["volumes"]!.AsArray().Where(v => v!["secret"] is not null).Select(v => (string)v!["name"]!).ToHashSet();
            foreach (var container in pod["containers"]!.AsArray())
            {
                foreach (var variable in container!["env"]!.AsArray())
                {
                    var name = (string)variable!["name"]!;
                    if (variable["value"] is { } literal)
                    {
                        Assert.DoesNotMatch(SecretSetting(), name);
                        Assert.DoesNotMatch(SecretValue(), (string?)literal ?? "");
                    }
                    else if (SecretSetting().IsMatch(name))
                    {
                        var reference = variable["valueFrom"]?["secretKeyRef"];
                        Assert.True(reference is not null, $"{kind}: {name} does not come from a Secret");
                        secretReferences.Add(((string)reference["name"]!, (string)reference["key"]!));
                    }
                }
                // Signing keys are files of a mounted Secret; their settings name only the path.
                var keyFiles = settings.Where(s => s.Key.EndsWith("__PemFile", StringComparison.Ordinal)).Select(s => (string)s.Value!).ToList();
                Assert.NotEmpty(keyFiles);
                var mounts = container["volumeMounts"]!.AsArray().Where(m => secretMounts.Contains((string)m!["name"]!)).ToList();
                Assert.All(keyFiles, file => Assert.Contains(mounts, m => file.StartsWith((string)m!["mountPath"]! + "/", StringComparison.Ordinal) && (bool?)m["readOnly"] == true));
            }
            foreach (var volume in pod["volumes"]!.AsArray().Where(v => v!["secret"] is not null))
                secretReferences.Add(((string)volume!["secret"]!["secretName"]!, ""));
        }

        // The example Secrets hold placeholders only, and show every Secret and key the manifests reference.
        var examples = ExampleSecrets(rendered);
        Assert.All(examples, secret => Assert.Null(secret["data"]));
        foreach (var secret in examples)
        {
            foreach (var (key, value) in secret["stringData"]!.AsObject())
                Assert.True(((string?)value ?? "").Contains("<placeholder", StringComparison.Ordinal), $"{secret["metadata"]!["name"]}.{key} is not a placeholder");
        }
        foreach (var (secretName, key) in secretReferences.Distinct())
        {
            var example = examples.SingleOrDefault(e => (string?)e["metadata"]!["name"] == secretName);
            Assert.True(example is not null, $"Secret {secretName} is referenced but not in secrets.example.yaml");
            if (key.Length > 0)
                Assert.True(example["stringData"]![key] is not null, $"Secret {secretName} has no key {key} in secrets.example.yaml");
        }
        Assert.Contains(secretReferences, r => r.Key == "connection-string");
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_migrate_job_runs_the_deployments_image_with_its_configuration(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var dockerfile = new Dockerfile(rendered.Generated.Files.ReadText("Dockerfile"));
        var api = rendered.Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var job = rendered.Single("Job");
        var migrate = Assert.Single(job["spec"]!["template"]!["spec"]!["containers"]!.AsArray())!;

        Assert.Equal((string?)api["image"], (string?)migrate["image"]);
        // The image's ENTRYPOINT is the app; arguments after it choose the command, as compose's `command: ["migrate"]`.
        Assert.Equal(["dotnet", $"{ProjectName(rendered)}.Api.dll"], dockerfile.Entrypoint);
        Assert.Null(migrate["command"]);
        Assert.Equal(["migrate"], migrate["args"]!.AsArray().Select(a => (string)a!));
        Assert.Equal("Never", (string?)job["spec"]!["template"]!["spec"]!["restartPolicy"]);
        Assert.Equal(api["envFrom"]!.ToJsonString(), migrate["envFrom"]!.ToJsonString());
        var apiVariables = api["env"]!.AsArray().Select(e => e!.ToJsonString()).ToList();
        var migrateVariables = migrate["env"]!.AsArray().Select(e => e!.ToJsonString()).ToList();
        Assert.Empty(apiVariables.Except(migrateVariables));
        Assert.Equal(api["volumeMounts"]!.ToJsonString(), migrate["volumeMounts"]!.ToJsonString());
        var adminVariables = migrate["env"]!.AsArray().Select(e => (string)e!["name"]!).Where(n => n.StartsWith("Admin__", StringComparison.Ordinal)).ToList();
        string[] expectedAdminVariables = Variants.IsOff(variant, "--rbac") ? [] : ["Admin__Email", "Admin__Password"];
        Assert.Equal(expectedAdminVariables, adminVariables);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Every_environment_variable_the_manifests_set_is_a_setting_the_app_reads(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var catalog = new AppSettingsCatalog(rendered.Generated.Files);
        var configMaps = rendered.OfKind("ConfigMap").ToDictionary(c => (string)c["metadata"]!["name"]!, c => c["data"]!.AsObject());

        var variables = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (kind, container) in rendered.Containers)
        {
            foreach (var variable in container["env"]?.AsArray() ?? [])
                variables.Add((string)variable!["name"]!);
            foreach (var source in container["envFrom"]?.AsArray() ?? [])
            {
                var configMap = (string?)source!["configMapRef"]?["name"];
                Assert.True(configMap is not null && configMaps.ContainsKey(configMap), $"{kind}: envFrom names something other than the rendered ConfigMap");
                foreach (var key in configMaps[configMap].Select(pair => pair.Key))
                    variables.Add(key);
            }
        }

        // The catalog itself must be able to say no, or this test proves nothing.
        Assert.True(catalog.Reads("Jwt__Issuer") && catalog.Reads("Jwt__SigningKeys__3__ActiveFrom") && catalog.Reads("ConnectionStrings__Postgres"));
        Assert.False(catalog.Reads("Jwt__Isuer") || catalog.Reads("Jwt__SigningKeys__PemFile") || catalog.Reads("Email__Smtp") || catalog.Reads("Smtp__Host"));
        Assert.Equal(!Variants.IsOff(variant, "--rbac"), catalog.Reads("Admin__Password"));
        Assert.Contains("Jwt__Issuer", variables);
        var unknown = variables.Where(v => !catalog.Reads(v)).ToList();
        Assert.True(unknown.Count == 0,
            $"[{variant.Scenario}] The manifests set variables the app does not read: {string.Join(", ", unknown)}. It binds: " +
            string.Join(", ", catalog.Bindings.Select(b => $"{b.Section} ({b.Class})").Concat(catalog.DirectKeys)));
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task Rollouts_keep_serving_and_stopping_pods_drain(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var deployment = rendered.Single("Deployment")["spec"]!;
        var pod = deployment["template"]!["spec"]!;
        var container = pod["containers"]![0]!;

        Assert.Equal(2L, (long?)deployment["replicas"]);
        Assert.Equal("RollingUpdate", (string?)deployment["strategy"]!["type"]);
        Assert.Equal(0L, (long?)deployment["strategy"]!["rollingUpdate"]!["maxUnavailable"]);
        // The host's default shutdown timeout (HostOptions.ShutdownTimeout) is 30 s; the grace period covers the
        // preStop delay, that timeout and a margin.
        var preStop = (long)container["lifecycle"]!["preStop"]!["sleep"]!["seconds"]!;
        Assert.InRange(preStop, 5, 30);
        Assert.True((long)pod["terminationGracePeriodSeconds"]! > preStop + 30, "terminationGracePeriodSeconds must exceed preStop + 30 s");
        Assert.Contains(pod["topologySpreadConstraints"]!.AsArray(), c => (string?)c!["topologyKey"] == "kubernetes.io/hostname");
        var podLabels = pod.Parent!["metadata"]!["labels"]!.AsObject();
        foreach (var selector in new[] { rendered.Single("PodDisruptionBudget")["spec"]!["selector"]!["matchLabels"]!, rendered.Single("Service")["spec"]!["selector"]! })
            Assert.All(selector.AsObject(), label => Assert.Equal((string?)label.Value, (string?)podLabels[label.Key]));
        var autoscaler = rendered.Single("HorizontalPodAutoscaler")["spec"]!;
        Assert.Equal((string?)rendered.Single("Deployment")["metadata"]!["name"], (string?)autoscaler["scaleTargetRef"]!["name"]);
        Assert.Equal("cpu", (string?)autoscaler["metrics"]![0]!["resource"]!["name"]);
        Assert.True((long)autoscaler["minReplicas"]! >= 2);
    }

    [Theory]
    [MemberData(nameof(Variants.WithDocker), MemberType = typeof(Variants))]
    public async Task The_readmes_commands_create_every_secret_and_apply_the_migrate_job_first(Variant variant)
    {
        var rendered = await KubernetesManifests.Rendered(variant);
        var readme = rendered.Generated.Files.ReadText("README.md");
        var section = readme[readme.IndexOf("## Deploy to Kubernetes", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        var commands = section.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n').Select(line => line.Trim()).ToList();

        // Every Secret and key the manifests reference is made by a kubectl create secret command.
        var created = commands.Where(c => c.StartsWith("kubectl create secret generic ", StringComparison.Ordinal))
            .Select(c => (Name: c.Split(' ')[4], Keys: CreatedKey().Matches(c).Select(m => m.Groups["key"].Value).ToHashSet()))
            .ToList();
        foreach (var (kind, pod) in rendered.PodSpecs)
        {
            foreach (var reference in pod.DescendantsNamed("secretKeyRef"))
                Assert.Contains(created, c => c.Name == (string?)reference["name"] && c.Keys.Contains((string)reference["key"]!));
            foreach (var volume in pod.DescendantsNamed("secret"))
                Assert.Contains(created, c => c.Name == (string?)volume["secretName"]);
        }

        // The rollout: delete the last migrate job, apply the settings and the job alone, wait, then apply everything.
        var rollout = commands.Where(c => c.StartsWith("kubectl ", StringComparison.Ordinal) && !c.StartsWith("kubectl create", StringComparison.Ordinal)).ToList();
        var delete = rollout.FindIndex(c => c.StartsWith("kubectl delete job ", StringComparison.Ordinal));
        var applyFirst = rollout.FindIndex(c => c.StartsWith("kubectl apply -k deploy/kubernetes -l ", StringComparison.Ordinal));
        var wait = rollout.FindIndex(c => c.StartsWith("kubectl wait --for=condition=complete job ", StringComparison.Ordinal));
        var applyAll = rollout.FindIndex(c => c == "kubectl apply -k deploy/kubernetes");
        Assert.True(delete >= 0 && delete < applyFirst && applyFirst < wait && wait < applyAll, "README.md should delete, apply the job, wait, then apply all:\n" + string.Join("\n", rollout));
        Assert.Equal(["ConfigMap", "Job"], rendered.Objects.Where(o => Selects(SelectorOf(rollout[applyFirst]), o)).Select(o => (string)o["kind"]!).Order(StringComparer.Ordinal));
        Assert.Equal(["Job"], rendered.Objects.Where(o => Selects(SelectorOf(rollout[delete]), o)).Select(o => (string)o["kind"]!));
        Assert.Equal(["Job"], rendered.Objects.Where(o => Selects(SelectorOf(rollout[wait]), o)).Select(o => (string)o["kind"]!));
        foreach (var named in rollout.SelectMany(c => NamedObject().Matches(c)))
            Assert.Contains(rendered.Objects, o => ((string)o["kind"]!).Equals(named.Groups["kind"].Value, StringComparison.OrdinalIgnoreCase) && (string?)o["metadata"]!["name"] == named.Groups["name"].Value);
    }

    static string SelectorOf(string command)
    {
        var match = LabelSelector().Match(command);
        Assert.True(match.Success, $"No -l selector in: {command}");
        return match.Groups["selector"].Value.Trim('\'');
    }

    /// <summary>Whether a label selector (equality terms and <c>key in (a,b)</c>, comma-separated) selects the object.</summary>
    static bool Selects(string selector, JsonObject o)
    {
        var labels = o["metadata"]!["labels"]?.AsObject();
        foreach (Match term in SelectorTerm().Matches(selector))
        {
            var value = (string?)labels?[term.Groups["key"].Value];
            var allowed = term.Groups["set"].Success
                ? term.Groups["set"].Value.Split(',').Select(v => v.Trim())
                : [term.Groups["value"].Value];
            if (value is null || !allowed.Contains(value))
                return false;
        }
        return true;
    }

    static List<JsonObject> ExampleSecrets(RenderedManifests rendered)
    {
        var examples = KubernetesManifests.ReadYaml(rendered.Generated.Files.ReadText($"{KubernetesManifests.Directory}/secrets.example.yaml"));
        Assert.All(examples, e => Assert.Equal("Secret", (string?)e["kind"]));
        Assert.NotEmpty(examples);
        return examples;
    }

    /// <summary>The health paths the generated app maps: its <c>PathPrefix</c> constant joined with each MapHealthChecks path.</summary>
    static List<string> HealthPaths(FileTree files)
    {
        var source = files.ReadText(Assert.Single(files.Paths, p => p.EndsWith("/Health/HealthEndpoints.cs", StringComparison.Ordinal)));
        var prefix = PathPrefix().Match(source).Groups["prefix"].Value;
        return MappedHealthPath().Matches(source).Select(m => prefix + m.Groups["path"].Value).ToList();
    }

    static string ProjectName(RenderedManifests rendered) =>
        Path.GetFileNameWithoutExtension(Assert.Single(rendered.Generated.Files.Paths, p => p.EndsWith(".slnx", StringComparison.Ordinal)));

    /// <summary>The template's KubernetesName form: lower case, every run of other characters a dash, none at either end.</summary>
    static string KubernetesName(string name) => NonAlphanumeric().Replace(name.ToLowerInvariant(), "-").Trim('-');

    static long BenchmarkPeakMegabytes()
    {
        var results = File.ReadAllText(Path.Combine(TemplateRepository.Root, "benchmark", "results", "latest.md"));
        var peak = BenchmarkPeak().Match(results);
        Assert.True(peak.Success, "benchmark/results/latest.md no longer reports the peak memory of the API process after every phase");
        return long.Parse(peak.Groups["megabytes"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"--from-(literal|file)=(?<key>[\w.-]+)=")]
    private static partial Regex CreatedKey();

    [GeneratedRegex(@" -l (?<selector>'[^']+'|\S+)")]
    private static partial Regex LabelSelector();

    [GeneratedRegex(@"(?<key>[\w./-]+)\s*(=\s*(?<value>[\w.-]+)|\s+in\s+\((?<set>[^)]*)\))")]
    private static partial Regex SelectorTerm();

    [GeneratedRegex(@"\b(?<kind>job|deployment)/(?<name>[a-z0-9-]+)")]
    private static partial Regex NamedObject();

    [GeneratedRegex(@"(?i)(password|secret|token|apikey)$|^connectionstrings__|^database_url$|__pem$")]
    private static partial Regex SecretSetting();

    [GeneratedRegex(@"(?i)password=|-----BEGIN|://[^/\s:]+:[^@\s]+@")]
    private static partial Regex SecretValue();

    [GeneratedRegex(@"PathPrefix\s*=\s*""(?<prefix>[^""]+)""")]
    private static partial Regex PathPrefix();

    [GeneratedRegex(@"MapHealthChecks\(\$""\{PathPrefix\}(?<path>/[\w/-]+)""")]
    private static partial Regex MappedHealthPath();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonAlphanumeric();

    /// <summary>The benchmark's row for the main API process, which served every phase: what a memory limit must cover.</summary>
    [GeneratedRegex(@"Memory of the main API process after every phase and the soak \(what a memory limit must cover\) \| peak \(VmHWM\) (?<megabytes>\d+) MB")]
    private static partial Regex BenchmarkPeak();
}
