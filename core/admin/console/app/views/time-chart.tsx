// One uPlot chart of a few series over time, sized to its container (so it never makes the page scroll sideways).
// The chart is rebuilt only when its series change; new points only update its data.
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLOURS = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#0b7285', '#5c940d', '#a61e4d'];

export interface TimeSeries {
  label: string;
  values: (number | null)[];
}

export interface TimeChartProps {
  /** Seconds since the epoch, one per point. */
  x: number[];
  series: TimeSeries[];
  format: (value: number) => string;
  label: string;
  /** Counts (lag): ticks at whole numbers only. */
  isWhole?: boolean;
}

/** 1, 2, 5, 10, 20, 50… up to 5e12: the steps a count axis may tick at. */
const WHOLE_STEPS = Array.from({ length: 39 }, (_, i) => [1, 2, 5][i % 3] * 10 ** Math.floor(i / 3));

export function TimeChart(props: TimeChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = props.series.map((s) => s.label).join('\n');
  const data = (): uPlot.AlignedData => [props.x, ...props.series.map((s) => s.values)];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const format = props.format;
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: 200,
        series: [
          {},
          ...props.series.map((s, i) => ({
            label: s.label,
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
          })),
        ],
        axes: [
          {},
          { values: (_u, ticks) => ticks.map(format), size: 70, ...(props.isWhole ? { incrs: WHOLE_STEPS } : {}) },
        ],
        scales: { y: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] } },
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      data(),
      el,
    );
    plot.current = chart;
    const resized = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: 200 }));
    resized.observe(el);
    return () => {
      resized.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [labels]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  return <div ref={box} class="chart" role="img" aria-label={props.label} />;
}
