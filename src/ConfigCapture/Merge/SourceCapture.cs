using Preconfig.Handoff.Model;

namespace Preconfig.ConfigCapture.Merge;

/// <summary>
/// What one <c>--source</c> yielded: its records (each with <see cref="DeviceRecord.Origins"/> naming the source)
/// and its warnings (one line each, naming the file and line or the device). Warnings never stop a capture.
/// </summary>
public sealed record SourceCapture(string Source, IReadOnlyList<DeviceRecord> Devices, IReadOnlyList<string> Warnings);
