using System.Text.Json;
using Preconfig.Preinit.Reporting;

namespace Preconfig.Tests.Preinit;

/// <summary>A written report read back for assertions, by System.Text.Json's reflection serializer (tests only: the
/// product writes reports, and what it writes is held by ReportJsonTests' golden file).</summary>
internal static class ReportReader
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static PreinitReport Read(string json) =>
        JsonSerializer.Deserialize<PreinitReport>(json, Options) ?? throw new InvalidDataException("report: null");
}
