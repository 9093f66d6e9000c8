using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Sources;

/// <summary>Where and when a capture was taken, when the source knows (a live machine, or an earlier snapshot).</summary>
public sealed record CaptureSystem(string HostName, string KernelRelease, string BootId, DateTimeOffset CapturedAt);

/// <summary>What one source produced: device records in address order, warnings (file:line), and the system when known.
/// <paramref name="Live"/>: the machine as it is now (sysfs), so a function it does not list has been removed.</summary>
public sealed record SourceCapture(IReadOnlyList<DeviceRecord> Devices, IReadOnlyList<string> Warnings, CaptureSystem? System = null, bool Live = false)
{
    /// <summary>Which of <see cref="Devices"/> are SR-IOV virtual functions, when the source knows (sysfs: <c>physfn</c>).</summary>
    public IReadOnlySet<PciAddress>? VirtualFunctions { get; init; }
}

/// <summary>
/// One place config bytes can come from (cli-contract.md, "Inputs"): a live machine, a dump file, a simulated
/// machine, an earlier snapshot. Capture and the offline views take records from here and never know which it is.
/// </summary>
public interface ISnapshotSource
{
    /// <summary>The source as the user wrote it ("lspci:dump.txt", "sim:machine.json"); recorded in the snapshot.</summary>
    string Description { get; }

    /// <summary>
    /// Reads the source. Throws <see cref="IOException"/> when it cannot be read and <see cref="FormatException"/>
    /// (naming file and line or offset) when nothing usable is in it; lesser problems are warnings.
    /// </summary>
    SourceCapture Capture();
}

/// <summary>A source form this build does not read yet (exit 2 with a clear message, never a pretend capture).</summary>
public sealed class UnsupportedSourceException(string message) : ArgumentException(message);
