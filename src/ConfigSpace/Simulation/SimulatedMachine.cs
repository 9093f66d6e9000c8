using System.Text.Json;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>How a simulated function answers a reset request for one method.</summary>
public enum ResetBehavior
{
    /// <summary>Resets the function (or, for "bus", every function on its bus) and reports success.</summary>
    Works,
    /// <summary>Reports success and resets nothing (what the kernel's "pm" method often does).</summary>
    Noop,
    /// <summary>Resets, but reports an error (a bus reset after the port's link-active timeout).</summary>
    ErrorButWorks,
    /// <summary>Reports an error and resets nothing.</summary>
    Fails,
    /// <summary>The request does not return (the kernel asleep in the reset) until <see cref="SimulatedMachine.ReleaseBlockedResets"/>,
    /// then resets as <see cref="Works"/>.</summary>
    Blocks,
}

/// <summary>A simulated function: its config space plus what sysfs would say about it.</summary>
public sealed class SimulatedFunction(SimulatedConfigSpace space)
{
    public SimulatedConfigSpace Space { get; } = space;
    public PciAddress Address => Space.Address;
    public string? Driver { get; set; }
    public List<string> ResetMethods { get; init; } = [];
    public Dictionary<string, ResetBehavior> ResetBehaviors { get; init; } = [];
    /// <summary>sysfs <c>boot_vga</c>: true on the console's VGA device, null where sysfs has no such attribute.</summary>
    public bool? BootVga { get; set; }

    public ResetBehavior BehaviorFor(string method) =>
        ResetBehaviors.TryGetValue(method, out var b) ? b : method == "pm" ? ResetBehavior.Noop : ResetBehavior.Works;
}

/// <summary>
/// A whole simulated machine: every function's config space, persisted in one JSON file. It is an
/// <see cref="IPciAccess"/>, so capture, replay and inspection use it exactly as they use sysfs.
/// </summary>
public sealed class SimulatedMachine : IPciAccess
{
    public const string FormatName = "preconfig-sim-machine";
    public const int FormatVersion = 1;

    private readonly SortedDictionary<PciAddress, SimulatedFunction> _functions = [];

    public SimulatedMachine(string description = "sim") => Description = description;

    public string Description { get; set; }
    public IEnumerable<SimulatedFunction> Functions => _functions.Values;
    public int Count => _functions.Count;

    public SimulatedFunction this[PciAddress address] =>
        _functions.TryGetValue(address, out var f) ? f : throw new KeyNotFoundException($"{address} is not in {Description}");

    public SimulatedFunction Add(SimulatedConfigSpace space)
    {
        var f = new SimulatedFunction(space);
        _functions[space.Address] = f;
        space.SecondaryBusReset += ResetBelow;
        return f;
    }

    /// <summary>Secondary Bus Reset on a bridge resets every function on the buses it forwards to (secondary..subordinate).</summary>
    private void ResetBelow(SimulatedConfigSpace bridge)
    {
        var cfg = bridge.Snapshot();
        byte secondary = cfg[Type1.SecondaryBus], subordinate = cfg[Type1.SubordinateBus];
        foreach (var f in _functions.Values)
            if (f.Address.Domain == bridge.Address.Domain && f.Address.Bus >= secondary && f.Address.Bus <= subordinate && f.Space != bridge && secondary != 0)
            {
                f.Space.Reset();
                if (bridge.Faults.LinkDownAfterReset > TimeSpan.Zero) f.Space.HoldUnreachable(bridge.Faults.LinkDownAfterReset);
            }
        if (bridge.Faults.LinkDownAfterReset > TimeSpan.Zero) bridge.TakeLinkDown();
    }

    /// <summary>
    /// How long the kernel's pci_dev_wait() waited in a sysfs reset for a function answering RRS (at most
    /// PCIE_RESET_READY_POLL_MS, 60 s): tests move their clock by it. The request returns after that wait.
    /// </summary>
    public Action<TimeSpan>? KernelWaited { get; set; }

    /// <summary>The kernel's bound on that wait (PCIE_RESET_READY_POLL_MS).</summary>
    public static readonly TimeSpan KernelReadyPoll = TimeSpan.FromSeconds(60);

    private readonly ManualResetEventSlim _blockedResets = new();

    /// <summary>Lets every <see cref="ResetBehavior.Blocks"/> request return (tests call it when done).</summary>
    public void ReleaseBlockedResets() => _blockedResets.Set();

    public bool Remove(PciAddress address) => _functions.Remove(address);

    public IReadOnlyList<PciAddress> EnumerateFunctions() => new List<PciAddress>(_functions.Keys);

    public IConfigSpace Open(PciAddress address) =>
        _functions.TryGetValue(address, out var f)
            ? f.Space
            : throw new DeviceRemovedException(address, 0, $"no such function in {Description}");

    public PciFunctionInfo Describe(PciAddress address)
    {
        var f = this[address];
        // The same lines a sysfs tree written from this machine holds, so sim and tree describe a function alike.
        var resources = Sysfs.SysfsResources.FromConfig(f.Space.Snapshot(), f.Space.Bars);
        return new PciFunctionInfo(f.Driver, f.ResetMethods, resources, f.BootVga);
    }

    /// <summary>Called on every reset request (address, method) before it acts: tests move a clock here.</summary>
    public Action<PciAddress, string>? ResetRequested { get; set; }

    /// <summary>
    /// What writing <c>reset</c> in sysfs does (pci_reset_function()): the kernel saves the function's state
    /// (pci_save_state: the header and the PCI Express, LTR, L1 PM substates, DPC and PTM controls, but not MSI or
    /// MSI-X, which it restores only for a driver that enabled them), resets by <paramref name="method"/> as the
    /// function's <see cref="ResetBehavior"/> says, and restores the saved state whatever the reset returned.
    /// </summary>
    public ResetRequestResult RequestReset(PciAddress address, string method)
    {
        var f = this[address];
        ResetRequested?.Invoke(address, method);
        if (!f.ResetMethods.Contains(method))
            return new ResetRequestResult(false, $"reset method '{method}' is not offered (offered: {string.Join(' ', f.ResetMethods)})");
        if (f.Space.Faults.Vanished) return new ResetRequestResult(false, "No such device (ENODEV)");
        var behavior = f.BehaviorFor(method);
        if (behavior == ResetBehavior.Blocks)
        {
            // A reset the kernel sleeps in uninterruptibly: the writer is held until released (or the kernel's bound).
            _blockedResets.Wait(KernelReadyPoll);
            behavior = ResetBehavior.Works;
        }
        var saved = f.Space.Snapshot();
        if (behavior is ResetBehavior.Works or ResetBehavior.ErrorButWorks)
        {
            if (method == "bus")
            {
                foreach (var sibling in _functions.Values)
                    if (sibling.Address.Domain == address.Domain && sibling.Address.Bus == address.Bus) sibling.Space.Reset();
            }
            else
                f.Space.Reset();
        }
        // pci_dev_wait(): the kernel waits while the function answers RRS (or nothing), up to its bound, and then
        // restores the saved state whether or not the function came back.
        if (f.Space.NotReady(out _))
        {
            var waited = f.Space.Faults.NeverBackAfterReset || f.Space.Faults.RrsAfterReset > KernelReadyPoll ? KernelReadyPoll : f.Space.Faults.RrsAfterReset;
            if (KernelWaited is { } moveClock) moveClock(waited);
            else f.Space.WaitedOut(); // no clock to move: the kernel's wait is taken as done
        }
        f.Space.RestoreKernelSavedState(saved);
        return behavior switch
        {
            ResetBehavior.Works or ResetBehavior.Noop => new ResetRequestResult(true, "ok"),
            ResetBehavior.ErrorButWorks => new ResetRequestResult(false, "Inappropriate ioctl for device (ENOTTY)"),
            _ => new ResetRequestResult(false, "Input/output error (EIO)"),
        };
    }

    /// <summary>
    /// A machine whose firmware state is the dump. BAR sizes follow <see cref="BarModel.InferSize"/>; reset methods
    /// are what the kernel would offer: "flr" where PCI Express DevCap says so, "pm" where the PM capability does
    /// not claim No_Soft_Reset, "bus" for a function behind a bridge (bus other than 0).
    /// </summary>
    public static SimulatedMachine FromDump(LspciDump dump)
    {
        var machine = new SimulatedMachine(dump.Source);
        foreach (var fn in dump.Functions)
        {
            var space = new SimulatedConfigSpace(fn.Address, fn.Config);
            machine.Add(space).ResetMethods.AddRange(InferResetMethods(fn.Address, fn.Config));
        }
        // The kernel offers "bus" only to a function alone on its bus, and never to a bridge (pci_parent_bus_reset).
        foreach (var f in machine.Functions)
            if (ConfigBytes.HeaderKind(f.Space.Snapshot()) != HeaderType.Normal || HasSibling(machine, f))
                f.ResetMethods.Remove("bus");
        return machine;
    }

    private static bool HasSibling(SimulatedMachine machine, SimulatedFunction f)
    {
        foreach (var o in machine.Functions)
            if (o != f && o.Address.Domain == f.Address.Domain && o.Address.Bus == f.Address.Bus) return true;
        return false;
    }

    /// <summary>
    /// A machine copied from another one (this machine's sysfs, read-only): its config bytes, BAR sizes from the
    /// <c>resource</c> lines (inferred where there are none), drivers and reset methods. A function that vanishes or
    /// fails while being read is left out.
    /// </summary>
    public static SimulatedMachine FromAccess(IPciAccess source)
    {
        var machine = new SimulatedMachine(source.Description);
        foreach (var address in source.EnumerateFunctions())
        {
            try
            {
                var cfg = source.Open(address).ReadAll();
                var info = source.Describe(address);
                var sizes = new Dictionary<int, ulong>();
                foreach (var r in info.Resources)
                    if (r.Index <= 6 && r.Size > 0) sizes.Add(r.Index, r.Size);
                var f = machine.Add(new SimulatedConfigSpace(address, cfg, BarModel.FromConfig(cfg, sizes)));
                f.Driver = info.Driver;
                f.ResetMethods.AddRange(info.ResetMethods);
            }
            catch (ConfigSpaceAccessException) { }
        }
        return machine;
    }

    public static IEnumerable<string> InferResetMethods(PciAddress address, ReadOnlySpan<byte> cfg)
    {
        var methods = new List<string>();
        var walk = CapabilityWalker.Walk(cfg);
        if (walk.Find(CapabilityId.Express) is { } exp && (ConfigBytes.U32(cfg, exp.Offset + PciExpress.DevCap) & PciExpress.DevCapFlr) != 0)
            methods.Add("flr");
        if (walk.Find(CapabilityId.PowerManagement) is { } pm && (ConfigBytes.U16(cfg, pm.Offset + PowerManagement.Ctrl) & PowerManagement.CtrlNoSoftReset) == 0)
            methods.Add("pm");
        if (address.Bus != 0) methods.Add("bus");
        return methods;
    }

    public static SimulatedMachine Load(string path)
    {
        MachineFile? file;
        try
        {
            file = MachineJson.Read(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{(e.LineNumber ?? 0) + 1}: not a simulated machine file: {e.Message}", e);
        }
        if (file is null || file.Format != FormatName)
            throw new InvalidDataException($"{path}: not a simulated machine file (format is not '{FormatName}')");
        if (file.Version != FormatVersion)
            throw new InvalidDataException($"{path}: simulated machine version {file.Version} is not supported (expected {FormatVersion})");
        var machine = new SimulatedMachine(file.Description ?? path);
        for (int i = 0; i < file.Functions.Count; i++)
        {
            var fn = file.Functions[i];
            string where = $"{path}: functions[{i}]";
            if (!PciAddress.TryParse(fn.Address, out var address)) throw new InvalidDataException($"{where}: bad address '{fn.Address}'");
            byte[] config;
            try { config = Convert.FromHexString(fn.Config ?? ""); }
            catch (FormatException) { throw new InvalidDataException($"{where} ({address}): config is not a hex string"); }
            if (config.Length is not (64 or Header.StdConfigSize or Header.ExtConfigSize))
                throw new InvalidDataException($"{where} ({address}): config is {config.Length} bytes, not 64, 256 or 4096");
            List<BarModel>? bars = null;
            if (fn.Bars is { } entries)
            {
                bars = new List<BarModel>(entries.Count);
                foreach (var b in entries)
                    bars.Add(new BarModel(b.Index, b.Index == 6 ? RomOffset(config) : Type0.BaseAddress0 + 4 * b.Index, b.Kind, b.Size, b.Prefetchable));
            }
            var space = new SimulatedConfigSpace(address, config, bars, fn.Faults?.ToFaults());
            var f = machine.Add(space);
            f.Driver = fn.Driver;
            f.ResetMethods.AddRange(fn.ResetMethods ?? []);
            foreach (var (method, behavior) in fn.ResetBehaviors ?? []) f.ResetBehaviors[method] = behavior;
            f.BootVga = fn.BootVga;
        }
        return machine;
    }

    private static int RomOffset(ReadOnlySpan<byte> cfg) => ConfigBytes.HeaderKind(cfg) == HeaderType.Bridge ? Type1.RomAddress : Type0.RomAddress;

    public void Save(string path)
    {
        var file = new MachineFile { Format = FormatName, Version = FormatVersion, Description = Description, Functions = [] };
        foreach (var f in _functions.Values)
        {
            var bars = new List<BarEntry>();
            foreach (var b in f.Space.Bars) bars.Add(new BarEntry { Index = b.Index, Kind = b.Kind, Size = b.Size, Prefetchable = b.Prefetchable });
            file.Functions.Add(new FunctionEntry
            {
                Address = f.Address.ToString(),
                Config = Convert.ToHexStringLower(f.Space.Snapshot()),
                Bars = bars,
                Driver = f.Driver,
                ResetMethods = f.ResetMethods,
                ResetBehaviors = f.ResetBehaviors.Count > 0 ? f.ResetBehaviors : null,
                BootVga = f.BootVga,
                Faults = f.Space.Faults.Any ? FaultsEntry.From(f.Space.Faults) : null,
            });
        }
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
            MachineJson.Write(stream, file);
        File.Move(temp, path, overwrite: true);
    }
}
