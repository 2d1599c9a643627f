#!/usr/bin/env python3
"""signals.py: one SUMO run of a city grid under given signal timings.

    signals.py --net NET --routes ROUTES --end S [--seed N]
               [--cycle C --split S --wave-x X --wave-y Y]
               [--save-program FILE]

Without --cycle (and the three others) SUMO runs the network's own
programs: the fixed-time ones netgenerate built, or the actuated ones of a
network made with --tls.default-type actuated.  With them, every traffic
light of the network gets a new static program ("ar"):

  --cycle C    the cycle length in seconds, shared by all lights (20..240);
  --split S    the share of the green time that goes to the phases serving
               north-south traffic (0.1..0.9), the rest to east-west;
  --wave-x X   the offset of a light, as a fraction of the cycle, grows by
               X from one column of lights to the next, west to east (0..1);
  --wave-y Y   and by Y from one row to the next, south to north (0..1).

The phases come from the network's own tlLogic: the yellow and all-red
phases keep their durations; the cycle less those is the green time, of
which the north-south phases get the share S and the east-west phases the
rest, each group shared in proportion to the default durations, rounded
to whole seconds with the cycle kept exact (the north-south green is
round(S x green), half up, and east-west has the rest).  A green phase serves
north-south traffic when most of the links it gives green come from an
edge that runs more north-south than east-west (from the junctions'
coordinates).  A green phase shorter than 5 s is refused.

It writes the programs to an additional file in a temporary folder, runs
sumo with an argument vector (no shell) with --tripinfo-output, a fixed
--seed and --end and no teleporting (a vehicle stuck in a jam stays
stuck), reads the tripinfo and prints one JSON line:

  mean_wait_s       SUMO's waitingTime (time spent below 0.1 m/s), the
                    mean over the vehicles that arrived;
  mean_travel_s     the mean duration of the trips that arrived;
  departed, arrived, not_arrived, planned   vehicles;
  objective_wait_s  the mean over every planned vehicle of: for one that
                    arrived, its waitingTime plus its departDelay (the
                    time it waited to enter the network); for one that did
                    not arrive by --end, the whole time from its planned
                    departure to --end, as if it had waited all of it;
  sim_s             the wall time of the sumo run.

Exit status: 0 done; 1 sumo failed or its output cannot be read; 2 a bad
argument, a missing file, or no sumo on PATH.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

PROG = "signals.py"
MIN_GREEN = 5.0
GREEN = set("Gg")
TRANSITION = set("yYu")


class Usage(Exception):
    """A bad argument or input: exit status 2."""


class Failed(Exception):
    """sumo failed, or its output is unreadable: exit status 1."""


USAGE = ("usage: signals.py --net NET --routes ROUTES --end S [--seed N]\n"
         "                  [--cycle C --split S --wave-x X --wave-y Y]"
         " [--save-program FILE]")

OPTIONS = {"--net", "--routes", "--end", "--seed", "--cycle", "--split",
           "--wave-x", "--wave-y", "--save-program"}


def parse_args(argv):
    opts = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip())
            sys.exit(0)
        name, eq, val = a.partition("=")
        if name not in OPTIONS:
            raise Usage("unknown argument '%s'\n%s" % (a, USAGE))
        if not eq:
            if i + 1 >= len(argv):
                raise Usage("%s needs a value\n%s" % (name, USAGE))
            i += 1
            val = argv[i]
        if name in opts:
            raise Usage("%s given twice" % name)
        opts[name] = val
        i += 1
    for need in ("--net", "--routes", "--end"):
        if need not in opts:
            raise Usage("%s is required\n%s" % (need, USAGE))
    return opts


def number(opts, name, lo, hi, what, hi_open=False, integer=False):
    text = opts[name]
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    ok = math.isfinite(v) and lo <= v and (v < hi if hi_open else v <= hi)
    if ok and integer and v != int(v):
        ok = False
    if not ok:
        raise Usage("%s %s: must be %s from %g to %g%s" % (
            name, text, what, lo, hi, " (not included)" if hi_open else ""))
    return int(v) if integer else v


def timings(opts):
    """The hypothesis, or None for the network's own programs."""
    keys = ("--cycle", "--split", "--wave-x", "--wave-y")
    given = [k for k in keys if k in opts]
    if not given:
        return None
    if len(given) != len(keys):
        raise Usage("--cycle, --split, --wave-x and --wave-y go together"
                    " (missing %s)" % ", ".join(k for k in keys
                                                 if k not in opts))
    return {
        "cycle": number(opts, "--cycle", 20, 240, "a number of seconds"),
        "split": number(opts, "--split", 0.1, 0.9, "a share of the green"),
        "wave_x": number(opts, "--wave-x", 0, 1, "a fraction of the cycle",
                         hi_open=True),
        "wave_y": number(opts, "--wave-y", 0, 1, "a fraction of the cycle",
                         hi_open=True),
    }


def readable(path, what):
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise Usage("%s '%s' is missing or unreadable%s" % (
            what, path, " (make -C examples/traffic makes it)"
            if path.endswith(".xml") else ""))


def read_net(path):
    """The network's lights: junction coordinates, the edges' ends, and
    for each tlLogic its phases and the from-edge of each link index."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise Usage("network '%s': %s" % (path, e))
    if root.tag != "net":
        raise Usage("network '%s': the root element is <%s>, not <net>"
                    % (path, root.tag))
    xy, ends, lights, links = {}, {}, {}, {}
    for j in root.iter("junction"):
        try:
            xy[j.get("id")] = (float(j.get("x")), float(j.get("y")))
        except (TypeError, ValueError):
            pass
    for e in root.iter("edge"):
        if e.get("function") in (None, "normal") and e.get("from"):
            ends[e.get("id")] = (e.get("from"), e.get("to"))
    for t in root.iter("tlLogic"):
        phases = []
        for p in t.iter("phase"):
            try:
                phases.append((float(p.get("duration")), p.get("state")))
            except (TypeError, ValueError):
                raise Usage("network '%s': tlLogic %s has a phase without a"
                            " duration" % (path, t.get("id")))
        if not phases or any(not s for _, s in phases):
            raise Usage("network '%s': tlLogic %s has no phases or a phase"
                        " without a state" % (path, t.get("id")))
        lights[t.get("id")] = phases
    for c in root.iter("connection"):
        tl, k = c.get("tl"), c.get("linkIndex")
        if tl is not None and k is not None:
            links.setdefault(tl, {}).setdefault(int(k), c.get("from"))
    if not lights:
        raise Usage("network '%s' has no traffic lights" % path)
    return xy, ends, lights, links


def heading(edge, ends, xy):
    """'ns' or 'ew': which way an edge runs, from its junctions."""
    a, b = ends[edge]
    (x0, y0), (x1, y1) = xy[a], xy[b]
    return "ns" if abs(y1 - y0) > abs(x1 - x0) else "ew"


def position(tl, links, ends, xy):
    """A light's place: the junction its links lead into."""
    for edge in links.get(tl, {}).values():
        if edge in ends and ends[edge][1] in xy:
            return xy[ends[edge][1]]
    if tl in xy:
        return xy[tl]
    raise Usage("traffic light %s: cannot tell where it is" % tl)


def program(tl, phases, links, ends, xy, t):
    """The new phases of one light: [(duration, state)]."""
    fixed = 0.0
    groups = []
    for d, s in phases:
        if any(ch in TRANSITION for ch in s) or not any(ch in GREEN
                                                       for ch in s):
            groups.append(None)
            fixed += d
            continue
        votes = {"ns": 0.0, "ew": 0.0}
        for k, ch in enumerate(s):
            if ch in GREEN and k in links.get(tl, {}):
                edge = links[tl][k]
                if edge in ends:
                    votes[heading(edge, ends, xy)] += 1.0 if ch == "G" else 0.5
        if votes["ns"] == votes["ew"] == 0:
            raise Usage("traffic light %s: a green phase (%s) whose links"
                        " lead from no known edge" % (tl, s))
        groups.append("ns" if votes["ns"] >= votes["ew"] else "ew")
    green = t["cycle"] - fixed
    share = {"ns": t["split"], "ew": 1.0 - t["split"]}
    present = {g for g in groups if g}
    if len(present) == 1:
        share = {g: 1.0 for g in present}
    # Whole seconds, as a controller counts them: the north-south green
    # is S times the green, rounded half up, the east-west green the rest;
    # within a group, each phase its share by largest remainders (and a
    # fractional cycle's fraction to the group's longest phase).
    base = {g: sum(d for (d, _), gg in zip(phases, groups) if gg == g)
            for g in present}
    if len(present) == 2:
        total = {"ns": math.floor(green * share["ns"] + 0.5)}
        total["ew"] = green - total["ns"]
    else:
        total = {g: green for g in present}
    out = [d if g is None else 0.0 for (d, _), g in zip(phases, groups)]
    for g in present:
        idx = [i for i, gg in enumerate(groups) if gg == g]
        exact = {i: total[g] * phases[i][0] / base[g] for i in idx}
        for i in idx:
            out[i] = math.floor(exact[i])
        spare = total[g] - sum(out[i] for i in idx)
        for i in sorted(idx, key=lambda i: out[i] - exact[i]):
            if spare < 1 - 1e-9:
                break
            out[i] += 1
            spare -= 1
        if spare > 1e-9:
            out[max(idx, key=lambda i: out[i])] += spare
    for (d, s), g, w in zip(phases, groups, out):
        if g and w < MIN_GREEN:
            raise Usage("--cycle %g with --split %g leaves light %s a green"
                        " phase (%s) of %.1f s, under the %g s least green:"
                        " a longer cycle or a split nearer 0.5"
                        % (t["cycle"], t["split"], tl, s, w, MIN_GREEN))
    return [(w, s) for w, (_, s) in zip(out, phases)]


def write_programs(net_path, t, dest):
    xy, ends, lights, links = read_net(net_path)
    where = {tl: position(tl, links, ends, xy) for tl in lights}
    cols = sorted({round(x) for x, _ in where.values()})
    rows = sorted({round(y) for _, y in where.values()})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             "<!-- signals.py: cycle %g s, split %g, wave %g, %g -->"
             % (t["cycle"], t["split"], t["wave_x"], t["wave_y"]),
             "<additional>"]
    for tl in sorted(lights):
        x, y = where[tl]
        i, j = cols.index(round(x)), rows.index(round(y))
        off = (i * t["wave_x"] + j * t["wave_y"]) % 1.0 * t["cycle"]
        lines.append('    <tlLogic id="%s" type="static" programID="ar"'
                     ' offset="%.2f">' % (xml_attr(tl), off))
        for d, s in program(tl, lights[tl], links, ends, xy, t):
            lines.append('        <phase duration="%.2f" state="%s"/>'
                         % (d, xml_attr(s)))
        lines.append("    </tlLogic>")
    lines.append("</additional>")
    with open(dest, "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lights)


def xml_attr(s):
    return (s.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def planned(path):
    """Planned departure of each vehicle of the route file."""
    out = {}
    try:
        for _, el in ET.iterparse(path):
            if el.tag in ("flow", "personFlow", "person"):
                raise Usage("routes '%s': <%s> is not supported, only"
                            " <vehicle> and <trip>" % (path, el.tag))
            if el.tag in ("vehicle", "trip"):
                try:
                    out[el.get("id")] = float(el.get("depart"))
                except (TypeError, ValueError):
                    raise Usage("routes '%s': vehicle %s has no numeric"
                                " depart" % (path, el.get("id")))
                el.clear()
    except ET.ParseError as e:
        raise Usage("routes '%s': %s" % (path, e))
    if not out:
        raise Usage("routes '%s' holds no vehicles" % path)
    return out


def run_sumo(sumo, opts, add, tripinfo, errlog):
    argv = [sumo, "-n", opts["--net"], "-r", opts["--routes"],
            "--begin", "0", "--end", opts["--end"],
            "--seed", opts.get("--seed", "1"),
            "--time-to-teleport", "-1",
            "--tripinfo-output", tripinfo,
            "--tripinfo-output.write-unfinished", "true",
            "--no-step-log", "true", "--duration-log.disable", "true",
            "--xml-validation", "never"]
    if add:
        argv += ["-a", add]
    env = dict(os.environ)
    env.setdefault("SUMO_HOME", "/usr/share/sumo")
    t0 = time.monotonic()
    with open(errlog, "w") as err:
        try:
            r = subprocess.run(argv, stdin=subprocess.DEVNULL,
                               stdout=err, stderr=err, env=env)
        except OSError as e:
            raise Failed("cannot run %s: %s" % (sumo, e.strerror))
    sim_s = time.monotonic() - t0
    if r.returncode != 0:
        with open(errlog) as f:
            tail = [l.rstrip() for l in f if l.strip()][-5:]
        how = ("was killed by signal %d" % -r.returncode
               if r.returncode < 0 else "exited %d" % r.returncode)
        raise Failed("sumo %s:\n%s" % (how, "\n".join(tail)))
    return sim_s


def score(trips, tripinfo, end):
    """The figures of one run, from the planned trips and the tripinfo."""
    arrived = departed = 0
    wait_sum = travel_sum = cost = 0.0
    seen = set()
    try:
        for _, el in ET.iterparse(tripinfo):
            if el.tag != "tripinfo":
                continue
            vid = el.get("id")
            if vid not in trips:
                raise Failed("tripinfo names vehicle %s, which the routes"
                             " do not" % vid)
            seen.add(vid)
            if float(el.get("depart")) >= 0:
                departed += 1
            if float(el.get("arrival")) >= 0:
                arrived += 1
                w = float(el.get("waitingTime"))
                wait_sum += w
                travel_sum += float(el.get("duration"))
                cost += w + float(el.get("departDelay", "0"))
            else:
                cost += max(0.0, end - trips[vid])
            el.clear()
    except (ET.ParseError, TypeError, ValueError) as e:
        raise Failed("cannot read sumo's tripinfo: %s" % e)
    # A vehicle that never entered may be absent from the tripinfo: it
    # waited from its planned departure to the end all the same.
    cost += sum(max(0.0, end - d) for vid, d in trips.items()
                if vid not in seen)
    return {
        "objective_wait_s": round(cost / len(trips), 3),
        "mean_wait_s": round(wait_sum / arrived, 3) if arrived else None,
        "mean_travel_s": round(travel_sum / arrived, 3) if arrived else None,
        "arrived": arrived, "departed": departed,
        "not_arrived": len(trips) - arrived, "planned": len(trips),
    }


def main(argv):
    opts = parse_args(argv)
    end = number(opts, "--end", 1, 86400, "a whole number of seconds",
                 integer=True)
    if "--seed" in opts:
        number(opts, "--seed", 0, 2**31 - 1, "an integer", integer=True)
    t = timings(opts)
    readable(opts["--net"], "network")
    readable(opts["--routes"], "routes")
    sumo = shutil.which("sumo")
    if sumo is None:
        raise Usage("sumo is not on PATH: install SUMO (Debian: apt-get"
                    " install sumo sumo-tools; make deps does)")
    trips = planned(opts["--routes"])
    tmp = tempfile.mkdtemp(prefix="signals.")
    try:
        add = None
        if t is not None:
            add = os.path.join(tmp, "programs.add.xml")
            write_programs(opts["--net"], t, add)
            if "--save-program" in opts:
                shutil.copyfile(add, opts["--save-program"])
        tripinfo = os.path.join(tmp, "tripinfo.xml")
        sim_s = run_sumo(sumo, opts, add, tripinfo,
                         os.path.join(tmp, "sumo.log"))
        r = score(trips, tripinfo, end)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r["sim_s"] = round(sim_s, 3)
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Usage as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        sys.exit(2)
    except Failed as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        sys.exit(1)
    except OSError as e:
        print("%s: %s%s" % (PROG, e.strerror or e, ": '%s'" % e.filename
                            if e.filename else ""), file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
