using System.Globalization;
using Google.Protobuf;

namespace AuthTemplate.Api.Tests.Infrastructure;

public enum OtlpSpanKind
{
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

public sealed record OtlpSpan(
    string Name, string TraceId, string SpanId, string ParentSpanId, OtlpSpanKind Kind, IReadOnlyDictionary<string, string> Attributes);

public sealed record OtlpMetric(string Name, IReadOnlyList<IReadOnlyDictionary<string, string>> DataPoints);

public sealed record OtlpLogRecord(string Body, string TraceId, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// Reads the few fields the tests need from the OTLP/protobuf export requests (field numbers from
/// opentelemetry-proto's trace, metrics, logs, resource and common <c>.proto</c> files): span names, ids and
/// attributes, metric names and data point attributes, log bodies, and resource attributes. Every other field is
/// skipped, so the payloads need no generated classes.
/// </summary>
public static class OtlpPayloads
{
    // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans.resource = 1, scope_spans = 2; ScopeSpans.spans = 2;
    // Span.trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, kind = 6, attributes = 9.
    public static (IReadOnlyDictionary<string, string> Resource, OtlpSpan Span)[] Spans(byte[] request) =>
        [.. new ProtoMessage(request).Messages(1).SelectMany(resourceSpans => resourceSpans.Messages(2)
            .SelectMany(scope => scope.Messages(2))
            .Select(span => (Resource(resourceSpans), new OtlpSpan(
                span.String(5), span.Hex(1), span.Hex(2), span.Hex(4), (OtlpSpanKind)span.Number(6), Attributes(span, 9)))))];

    // ExportMetricsServiceRequest.resource_metrics = 1; ResourceMetrics.scope_metrics = 2; ScopeMetrics.metrics = 2;
    // Metric.name = 1 and one of gauge = 5, sum = 7, histogram = 9, exponential_histogram = 10, summary = 11, each
    // with data_points = 1, whose attributes are field 7 (number, summary), 9 (histogram) or 1 (exponential).
    public static OtlpMetric[] Metrics(byte[] request) =>
        [.. new ProtoMessage(request).Messages(1)
            .SelectMany(resourceMetrics => resourceMetrics.Messages(2))
            .SelectMany(scope => scope.Messages(2))
            .Select(metric => new OtlpMetric(metric.String(1), [.. DataPointAttributes(metric)]))];

    // ExportLogsServiceRequest.resource_logs = 1; ResourceLogs.scope_logs = 2; ScopeLogs.log_records = 2;
    // LogRecord.body = 5, attributes = 6, trace_id = 9.
    public static OtlpLogRecord[] Logs(byte[] request) =>
        [.. new ProtoMessage(request).Messages(1)
            .SelectMany(resourceLogs => resourceLogs.Messages(2))
            .SelectMany(scope => scope.Messages(2))
            .Select(log => new OtlpLogRecord(log.Message(5) is { } body ? Value(body) : "", log.Hex(9), Attributes(log, 6)))];

    private static IEnumerable<IReadOnlyDictionary<string, string>> DataPointAttributes(ProtoMessage metric)
    {
        foreach (var (data, attributesField) in new[] { (5, 7), (7, 7), (9, 9), (10, 1), (11, 7) })
        {
            foreach (var point in metric.Messages(data).SelectMany(points => points.Messages(1)))
            {
                yield return Attributes(point, attributesField);
            }
        }
    }

    // Resource.attributes = 1.
    private static IReadOnlyDictionary<string, string> Resource(ProtoMessage resourceData) =>
        resourceData.Message(1) is { } resource ? Attributes(resource, 1) : new Dictionary<string, string>();

    // KeyValue.key = 1, value = 2.
    private static Dictionary<string, string> Attributes(ProtoMessage message, int field)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var pair in message.Messages(field))
        {
            attributes[pair.String(1)] = pair.Message(2) is { } value ? Value(value) : "";
        }

        return attributes;
    }

    // AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4 (arrays, lists and bytes as "").
    private static string Value(ProtoMessage value) =>
        value.Has(1) ? value.String(1)
        : value.Has(2) ? (value.Number(2) != 0).ToString(CultureInfo.InvariantCulture)
        : value.Has(3) ? ((long)value.Number(3)).ToString(CultureInfo.InvariantCulture)
        : value.Has(4) ? BitConverter.UInt64BitsToDouble(value.Number(4)).ToString(CultureInfo.InvariantCulture)
        : "";

    /// <summary>One message's fields by number, left undecoded until asked for as a string, bytes, number or message.</summary>
    private sealed class ProtoMessage
    {
        private readonly List<(int Number, object Value)> _fields = [];

        public ProtoMessage(byte[] bytes)
            : this(new CodedInputStream(bytes))
        {
        }

        private ProtoMessage(CodedInputStream input)
        {
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                object? value = WireFormat.GetTagWireType(tag) switch
                {
                    WireFormat.WireType.Varint => input.ReadUInt64(),
                    WireFormat.WireType.Fixed64 => input.ReadFixed64(),
                    WireFormat.WireType.Fixed32 => (ulong)input.ReadFixed32(),
                    WireFormat.WireType.LengthDelimited => input.ReadBytes(),
                    _ => null,
                };
                if (value is null)
                {
                    input.SkipLastField();
                    continue;
                }

                _fields.Add((WireFormat.GetTagFieldNumber(tag), value));
            }
        }

        public bool Has(int number) => _fields.Exists(field => field.Number == number);

        public IEnumerable<ProtoMessage> Messages(int number) =>
            Values<ByteString>(number).Select(bytes => new ProtoMessage(bytes.CreateCodedInput()));

        public ProtoMessage? Message(int number) => Messages(number).LastOrDefault();

        public string String(int number) => Values<ByteString>(number).LastOrDefault()?.ToStringUtf8() ?? "";

        public string Hex(int number) => Convert.ToHexStringLower(Values<ByteString>(number).LastOrDefault()?.ToByteArray() ?? []);

        public ulong Number(int number) => Values<ulong>(number).LastOrDefault();

        private IEnumerable<T> Values<T>(int number) => _fields.Where(field => field.Number == number).Select(field => field.Value).OfType<T>();
    }
}
